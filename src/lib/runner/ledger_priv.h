/* ledger: test seams (not for production callers). */
#ifndef MTV_LEDGER_PRIV_H
#define MTV_LEDGER_PRIV_H

#include "mtv/ledger.h"

/*
 * Called during every atomic rewrite at the stages "half-written" (half
 * of the new content is in the temp file), "written" (before fsync) and
 * "renamed" (before the directory fsync). A negative return makes the
 * write fail at that stage as an I/O error would. NULL removes the hook.
 * Process-global; for tests only.
 */
typedef int (*mtv_ledger_fault_fn)(const char *stage, void *payload);
void mtv_ledger__set_fault(mtv_ledger_fault_fn fn, void *payload);

#endif
