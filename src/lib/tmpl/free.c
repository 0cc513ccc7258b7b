/* tmpl: freeing parsed templates. */
#include "tmpl/tmpl_priv.h"

#include <stdlib.h>

void tmpl_arg_dispose(struct targ *a)
{
    free(a->s);
    tval_clear(&a->val);
    tmpl_pipe_free(a->pipe);
}

void tmpl_cmd_dispose(struct tcmd *c)
{
    size_t i;

    for (i = 0; i < c->n; i++) {
        tmpl_arg_dispose(&c->args[i]);
    }
    free(c->args);
}

void tmpl_pipe_free(struct tpipe *pp)
{
    size_t i;

    if (pp == NULL) {
        return;
    }
    for (i = 0; i < pp->n; i++) {
        tmpl_cmd_dispose(&pp->cmds[i]);
    }
    free(pp->cmds);
    free(pp);
}

void tmpl_nodes_free(struct tnode *n)
{
    while (n != NULL) {
        struct tnode *next = n->next;

        free(n->text);
        tmpl_pipe_free(n->pipe);
        tmpl_nodes_free(n->list);
        tmpl_nodes_free(n->else_list);
        free(n);
        n = next;
    }
}
