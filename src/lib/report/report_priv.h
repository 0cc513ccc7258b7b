/* report: helpers shared by the writers. */
#ifndef MTV_REPORT_PRIV_H
#define MTV_REPORT_PRIV_H

#include "mtv/report.h"

/* Write text to path through a temp file in the same folder + rename. */
int mtv_report__write_atomic(const char *path, const char *text, size_t len,
                             struct mtv_error *err);

#endif
