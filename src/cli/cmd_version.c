/* mtvtest version */
#include "cli.h"

#ifndef MTV_VERSION_STRING
#define MTV_VERSION_STRING "0.0.0"
#endif

int cmd_version(struct cli *cli)
{
    (void)cli;
    printf("mtvtest %s\n", MTV_VERSION_STRING);
    return CLI_EXIT_OK;
}
