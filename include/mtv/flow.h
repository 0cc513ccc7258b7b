/*
 * flow: the live warm-migration run (reference mtv-api-tests-warm-flow.md
 * section 1 with its PORT NOTEs) as mtv_run hooks, and `mtvtest clean`.
 *
 *   session:  cluster login (OAuth or kubeconfig), MTV health, the
 *             ForkliftController precopy interval (patched as an integer,
 *             confirmed in the Deployment, restored at the end), the
 *             session namespace, the source Secret and Provider, the local
 *             destination Provider, the inventory, the vSphere session;
 *   scenario: target namespace, clones with CBT, power, guest, inventory;
 *   steps:    StorageMap, NetworkMap (+NADs), Plan (Ready), Migration
 *             (watched to Succeeded/Failed/Canceled), copy-offload xcopy
 *             check, check_vms (every validator);
 *   teardown: every object was written to the ledger before it was
 *             created; the teardown replays it in the documented order,
 *             continuing past errors, and reports leftovers.
 *
 * SIGINT/SIGTERM stop every wait (mtv_interrupt), teardown runs, and the
 * run's exit code becomes 130/143.
 */
#ifndef MTV_FLOW_H
#define MTV_FLOW_H

#include "mtv/config.h"
#include "mtv/runner.h"
#include "mtv/util.h"

/* The live run's hooks (static). */
const struct mtv_run_hooks *mtv_flow_hooks(void);

/* Install SIGINT/SIGTERM handlers that call mtv_interrupt(). */
void mtv_flow_install_signal_handlers(void);

/*
 * `mtvtest clean`: replay opts->ledger_path, or sweep everything labelled
 * with opts->session_id (and vSphere clones whose name starts with it).
 * Connects with the same options as a run. Prints one line per action on
 * stderr. Returns 0 when nothing is left, 1 when something is (named on
 * stderr), or a negative error (err set) when the systems cannot be reached.
 */
int mtv_flow_clean(const struct mtv_run_options *opts,
                   const struct mtv_config *config,
                   const struct mtv_providers *providers,
                   struct mtv_error *err);

#endif
