/* runner: names (warm-flow spec §2) and the dry-run description. */
#include "mtv/runner.h"

#include "mtv/naming.h"

#include <stdlib.h>
#include <string.h>

/* -------------------------------------------------------------- dry run */

static char *base_name(const struct mtv_run_env *env, const char *sid)
{
    const struct mtv_provider *p =
        mtv_providers_get(env->providers, env->config->source_provider);
    char *out = NULL;

    mtv_naming_base_resource(&out, sid,
                             p ? mtv_provider_type_name(p->type) : "TYPE",
                             p && p->version ? p->version : "VERSION",
                             p && p->copyoffload, NULL);
    return out;
}

static void describe_vms(struct mtv_buf *out, const struct mtv_run_env *env,
                         const struct mtv_scenario *s, const char *sid)
{
    const struct mtv_config *c = env->config;
    char *suffix = NULL;

    mtv_naming_vm_suffix(&suffix,
                         c->storage_class ? c->storage_class : "STORAGE-CLASS",
                         c->target_ocp_version, s->warm_migration, NULL);
    for (size_t i = 0; suffix && i < s->n_vms; i++) {
        const struct mtv_config_vm *vm = &s->vms[i];
        char *clone = NULL;

        mtv_naming_clone(&clone, sid, vm->name, suffix, "xxxx", NULL);

        mtv_buf_printf(out, "  vm: clone '%s' as '%s' (", vm->name,
                       vm->clone_name ? vm->clone_name : clone);
        if (vm->disk_type != NULL) {
            mtv_buf_printf(out, "disks %s, ", vm->disk_type);
        }
        mtv_buf_printf(out, "CBT %s, power %s%s)\n",
                       s->warm_migration ? "on" : "off",
                       vm->source_vm_power ? vm->source_vm_power : "as is",
                       vm->guest_agent ? ", guest agent required" : "");
        free(clone);
    }
    free(suffix);
}

static void describe_plan(struct mtv_buf *out, const struct mtv_scenario *s,
                          const struct mtv_config *c, const char *base)
{
    mtv_buf_printf(out, "  plan: Plan '%s-xxxx-%s' (%s%s%s%s%s%s)\n", base,
                   s->warm_migration ? "warm" : "cold",
                   s->warm_migration ? "warm" : "cold",
                   s->preserve_static_ips ? ", preserveStaticIPs" : "",
                   s->target_power_state ? ", targetPowerState " : "",
                   s->target_power_state ? s->target_power_state : "",
                   s->pvc_name_template ? ", pvcNameTemplate" : "",
                   s->target_affinity ? ", targetAffinity" : "");
    if (s->vm_target_namespace != NULL) {
        mtv_buf_printf(out, "  namespace: VMs land in '%s' (created if "
                       "absent)\n", s->vm_target_namespace);
    }
    if (s->n_target_labels > 0) {
        mtv_buf_puts(out, "  labels:");
        for (size_t i = 0; i < s->n_target_labels; i++) {
            mtv_buf_printf(out, " %s=%s", s->target_labels[i].key,
                           s->target_labels[i].value
                               ? s->target_labels[i].value
                               : "<session id>");
        }
        mtv_buf_puts(out, "\n");
    }
    mtv_buf_printf(out, "  migration: Migration '%s-xxxx-%s', cutover at "
                   "start + %g min, wait up to %ld s\n", base,
                   s->warm_migration ? "warm" : "cold",
                   c->mins_before_cutover, c->plan_wait_timeout);
}

int mtv_plan_describe(struct mtv_buf *out, const struct mtv_run_env *env,
                      const struct mtv_selected *item)
{
    const struct mtv_scenario *s = item->scenario;
    const char *sid = env->session_id ? env->session_id : "auto-xxxx";
    char *base = NULL;

    if (item->skipped) {
        return mtv_buf_printf(out, "  skipped: %s\n", item->reason);
    }
    base = base_name(env, sid);
    if (base == NULL) {
        return MTV_ENOMEM;
    }
    describe_vms(out, env, s, sid);
    mtv_buf_printf(out, "  maps: StorageMap '%s-xxxx' (datastores → '%s'%s), "
                   "NetworkMap '%s-xxxx' (first network → pod%s)\n", base,
                   env->config->storage_class ? env->config->storage_class
                                              : "STORAGE-CLASS",
                   s->copyoffload ? ", copy-offload" : "", base,
                   s->multus_namespace ? ", others → multus" : "");
    describe_plan(out, s, env->config, base);
    free(base);
    return 0;
}
