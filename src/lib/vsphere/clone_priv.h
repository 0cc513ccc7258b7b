/* vsphere: private declarations of the clone (clone.c, clone_disks.c). */
#ifndef MTV_VSPHERE_CLONE_PRIV_H
#define MTV_VSPHERE_CLONE_PRIV_H

#include "vsphere/vsphere_priv.h"

#define MAX_CTRL 32

struct src_info {
    struct mtv_moref parent;
    struct mtv_moref pool;
    struct mtv_moref datastore;
    bool has_pool;
    bool has_datastore;
    struct {
        int key;
        int bus;
        bool scsi;
    } ctrl[MAX_CTRL];
    size_t n_ctrl;
    int first_scsi_key; /* -1: none */
    int first_scsi_bus;
    bool used_unit[16]; /* on the first SCSI controller */
    struct mtv_strv ctk_keys;
    struct mtv_buf nic_edits; /* deviceChange entries */
};

/* A datastore as a moref and its name (for "[name]" file names). */
struct ds_ref {
    struct mtv_moref ref;
    char name[128];
    long long free_bytes; /* summary.freeSpace, -1 when unknown */
};

struct clone_req {
    const struct mtv_vsphere_clone_spec *spec;
    struct src_info *src;
    const struct mtv_moref *vm;
    struct mtv_moref ds;
    struct ds_ref *disk_ds; /* per added disk: its datastore */
    struct mtv_moref host;
    bool has_host;
    struct mtv_strv added_ctk;
};

/* Read one property of obj as text into out (reset first). */
int mtv_vsphere__read_text_prop(struct mtv_vsphere *vs,
                                const struct mtv_moref *obj, const char *path,
                                struct mtv_buf *out, struct mtv_error *err);

/*
 * Resolve the datastore (moref, name, free space) of every added disk,
 * check thick disks fit, and create datastore_path folders.
 */
int mtv_vsphere__resolve_disk_datastores(struct mtv_vsphere *vs,
                                         struct clone_req *q,
                                         struct mtv_error *err);

/* The deviceChange entries of the added disks (and their CBT keys). */
int mtv_vsphere__put_added_disks(struct mtv_buf *b, struct clone_req *q,
                                 struct mtv_error *err);

#endif
