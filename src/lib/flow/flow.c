/* flow: the hooks the runner calls for a live run. */
#include "flow_priv.h"

static const struct mtv_step_def steps_standard[] = {
    {MTV_STEP_STORAGEMAP, flow_step_storagemap},
    {MTV_STEP_NETWORKMAP, flow_step_networkmap},
    {MTV_STEP_PLAN, flow_step_plan},
    {MTV_STEP_MIGRATE, flow_step_migrate},
    {MTV_STEP_CHECK, flow_step_check},
};

static const struct mtv_step_def steps_copyoffload[] = {
    {MTV_STEP_STORAGEMAP, flow_step_storagemap},
    {MTV_STEP_NETWORKMAP, flow_step_networkmap},
    {MTV_STEP_PLAN, flow_step_plan},
    {MTV_STEP_MIGRATE, flow_step_migrate},
    {MTV_STEP_XCOPY, flow_step_xcopy},
    {MTV_STEP_CHECK, flow_step_check},
};

static const struct mtv_step_def *steps_for(const struct mtv_scenario *s,
                                            size_t *n_out, void *payload)
{
    (void)payload;
    if (s->copyoffload) {
        *n_out = sizeof(steps_copyoffload) / sizeof(steps_copyoffload[0]);
        return steps_copyoffload;
    }
    *n_out = sizeof(steps_standard) / sizeof(steps_standard[0]);
    return steps_standard;
}

static const struct mtv_run_hooks flow_hooks = {
    flow_session_open, flow_session_close, flow_scenario_begin,
    flow_scenario_end, steps_for,          NULL,
};

const struct mtv_run_hooks *mtv_flow_hooks(void)
{
    return &flow_hooks;
}
