/* soap: private declarations shared by the module's files and its tests. */
#ifndef MTV_SOAP_PRIV_H
#define MTV_SOAP_PRIV_H

#include "mtv/soap.h"

/* Map a vim25 fault type name to an enum mtv_err (table lookup). */
int mtv_soap__fault_code(const char *fault_type);

/*
 * Extract the value of vmware_soap_session from a Set-Cookie header value
 * ("vmware_soap_session=\"52a...\"; Path=/; HttpOnly"), quotes stripped,
 * into out[size]. Returns true when found.
 */
bool mtv_soap__cookie_from_header(const char *set_cookie, char *out,
                                  size_t size);

#endif
