/* config: libyaml (document API) → struct cnode tree with positions. */
#include "config_priv.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct conv {
    yaml_document_t *doc;
    const char *file;
    struct mtv_diag *diag;
    size_t count;
};

static struct cloc mark_loc(const char *file, yaml_mark_t m)
{
    struct cloc l = {file, (int)m.line + 1, (int)m.column + 1};

    return l;
}

static int conv_node(struct cnode **out, struct conv *cv, yaml_node_t *yn,
                     int depth);

static int conv_scalar(struct cnode *n, yaml_node_t *yn)
{
    n->text = mtv_strndup((const char *)yn->data.scalar.value,
                          yn->data.scalar.length);
    n->plain = yn->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
               yn->data.scalar.style == YAML_ANY_SCALAR_STYLE;
    return n->text == NULL ? MTV_ENOMEM : 0;
}

static int conv_seq(struct cnode *n, struct conv *cv, yaml_node_t *yn,
                    int depth)
{
    for (yaml_node_item_t *it = yn->data.sequence.items.start;
         it < yn->data.sequence.items.top; it++) {
        struct cnode *c = NULL;
        int rc = conv_node(&c, cv, yaml_document_get_node(cv->doc, *it),
                           depth + 1);

        if (rc != 0 || (rc = cnode_seq_push_take(n, c)) != 0) {
            return rc;
        }
    }
    return 0;
}

static int conv_pair(struct cnode *n, struct conv *cv, yaml_node_pair_t *pr,
                     int depth)
{
    yaml_node_t *k = yaml_document_get_node(cv->doc, pr->key);
    struct cloc kl = mark_loc(cv->file, k->start_mark);
    struct cnode *v = NULL;
    char where[600];
    char *key = NULL;
    int rc = 0;

    if (k->type != YAML_SCALAR_NODE) {
        return mtv_diag_error(cv->diag, "%s: mapping keys must be scalars",
                              cloc_format(&kl, where, sizeof(where)));
    }
    key = mtv_strndup((const char *)k->data.scalar.value,
                      k->data.scalar.length);
    if (key == NULL) {
        return MTV_ENOMEM;
    }
    if (cnode_map_get(n, key, NULL) != NULL) {
        rc = mtv_diag_error(cv->diag, "%s: duplicate key '%s'",
                            cloc_format(&kl, where, sizeof(where)), key);
    } else if ((rc = conv_node(&v, cv,
                               yaml_document_get_node(cv->doc, pr->value),
                               depth + 1)) == 0) {
        rc = cnode_map_put_take(n, key, &kl, v);
    }
    free(key);
    return rc;
}

static int conv_map(struct cnode *n, struct conv *cv, yaml_node_t *yn,
                    int depth)
{
    int first_rc = 0;

    for (yaml_node_pair_t *pr = yn->data.mapping.pairs.start;
         pr < yn->data.mapping.pairs.top; pr++) {
        int rc = conv_pair(n, cv, pr, depth);

        if (rc == MTV_ENOMEM || (rc != 0 && cv->count > CNODE_MAX_NODES)) {
            return rc;
        }
        if (first_rc == 0) {
            first_rc = rc;
        }
    }
    return first_rc;
}

static int conv_node(struct cnode **out, struct conv *cv, yaml_node_t *yn,
                     int depth)
{
    static const enum cnode_kind kinds[] = {
        [YAML_SCALAR_NODE] = CN_SCALAR,
        [YAML_SEQUENCE_NODE] = CN_SEQ,
        [YAML_MAPPING_NODE] = CN_MAP,
    };
    struct cloc loc = mark_loc(cv->file, yn->start_mark);
    struct cnode *n = NULL;
    char where[600];
    int rc = 0;

    if (depth > CNODE_MAX_DEPTH || ++cv->count > CNODE_MAX_NODES) {
        return mtv_diag_error(cv->diag, "%s: document too deep or too large",
                              cloc_format(&loc, where, sizeof(where)));
    }
    if (yn->type == YAML_NO_NODE) {
        return MTV_ECONFIG;
    }
    n = cnode_new(kinds[yn->type], &loc);
    if (n == NULL) {
        return MTV_ENOMEM;
    }
    if (yn->type == YAML_SCALAR_NODE) {
        rc = conv_scalar(n, yn);
    } else if (yn->type == YAML_SEQUENCE_NODE) {
        rc = conv_seq(n, cv, yn, depth);
    } else {
        rc = conv_map(n, cv, yn, depth);
    }
    if (rc != 0) {
        cnode_free(n);
        return rc;
    }
    *out = n;
    return 0;
}

static int syntax_error(yaml_parser_t *p, const char *file,
                        struct mtv_diag *diag)
{
    struct cloc l = mark_loc(file, p->problem_mark);
    char where[600];

    if (p->error == YAML_MEMORY_ERROR) {
        return MTV_ENOMEM;
    }
    if (p->context != NULL) {
        return mtv_diag_error(diag, "%s: invalid YAML: %s %s",
                              cloc_format(&l, where, sizeof(where)),
                              p->problem ? p->problem : "error", p->context);
    }
    return mtv_diag_error(diag, "%s: invalid YAML: %s",
                          cloc_format(&l, where, sizeof(where)),
                          p->problem ? p->problem : "error");
}

/* After the first document: anything but the end is an error. */
static int check_single(yaml_parser_t *p, const char *file,
                        struct mtv_diag *diag)
{
    yaml_document_t doc;
    yaml_node_t *root = NULL;
    struct cloc l;
    char where[600];
    int rc = 0;

    if (!yaml_parser_load(p, &doc)) {
        return syntax_error(p, file, diag);
    }
    root = yaml_document_get_root_node(&doc);
    if (root != NULL) {
        l = mark_loc(file, doc.start_mark);
        rc = mtv_diag_error(diag, "%s: only one YAML document is allowed",
                            cloc_format(&l, where, sizeof(where)));
    }
    yaml_document_delete(&doc);
    return rc;
}

static int convert_root(struct cnode **out, yaml_document_t *doc,
                        const char *file, struct mtv_diag *diag)
{
    struct conv cv = {doc, file, diag, 0};
    yaml_node_t *root = yaml_document_get_root_node(doc);
    struct cloc l = {file, 1, 1};
    int rc = 0;

    if (root == NULL) {
        *out = cnode_new(CN_MAP, &l);
        return *out ? 0 : MTV_ENOMEM;
    }
    rc = conv_node(out, &cv, root, 0);
    return rc;
}

int cyaml_parse(struct cnode **out, const char *file, const char *text,
                size_t len, struct mtv_diag *diag)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    struct cnode *root = NULL;
    int rc = 0;

    if (!yaml_parser_initialize(&parser)) {
        return MTV_ENOMEM;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = syntax_error(&parser, file, diag);
        yaml_parser_delete(&parser);
        return rc;
    }
    rc = convert_root(&root, &doc, file, diag);
    yaml_document_delete(&doc);
    if (rc == 0) {
        rc = check_single(&parser, file, diag);
    }
    yaml_parser_delete(&parser);
    if (rc != 0) {
        cnode_free(root);
        return rc;
    }
    *out = root;
    return 0;
}
