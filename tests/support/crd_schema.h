/*
 * crd_schema: a small structural-schema checker for tests. Loads the
 * openAPIV3Schema of a CustomResourceDefinition YAML file (libyaml) and
 * checks a JSON object against it the way a strict API server would:
 * types (integer vs number vs string), required members, enum, pattern
 * (POSIX ERE), minimum/maximum, min/maxLength, int32/int64/date-time
 * formats, and unknown fields (an error, where a server would prune them
 * silently) unless x-kubernetes-preserve-unknown-fields or
 * additionalProperties allows them. metadata is not checked.
 */
#ifndef MTV_TEST_CRD_SCHEMA_H
#define MTV_TEST_CRD_SCHEMA_H

#include <stddef.h>

#include "mtv/json.h"

/*
 * Load spec.versions[0].schema.openAPIV3Schema of the CRD at path as a
 * JSON tree. *out must be NULL; free with mtv_json_free. 0 or -1 (with a
 * message in msg).
 */
int crd_schema_load(struct mtv_json **out, const char *path, char *msg,
                    size_t size);

/*
 * Check obj against schema. 0 when valid; -1 with "<json path>: <what>"
 * for the first problem in msg.
 */
int crd_schema_check(const struct mtv_json *schema, const struct mtv_json *obj,
                     char *msg, size_t size);

#endif
