/*
 * vcsim_fixture: see vcsim_fixture.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vcsim_fixture.h"

#include "mtv/naming.h"

extern char **environ;

#define START_TIMEOUT_MS 120000
#define STOP_TIMEOUT_MS 10000

/* Run argv, wait for it; quiet unless it fails. */
static int run(char *const argv[])
{
    pid_t pid = 0;
    int status = 0;
    posix_spawn_file_actions_t fa;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        fprintf(stderr, "vcsim fixture: cannot run %s\n", argv[0]);
        return -1;
    }
    posix_spawn_file_actions_destroy(&fa);
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        fprintf(stderr, "vcsim fixture: %s %s failed\n", argv[0], argv[1]);
        return -1;
    }
    return 0;
}

static char *path_in(const struct vcsim_fixture *f, const char *name)
{
    return mtv_strdup_printf("%s/%s", f->dir, name);
}

static char *read_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    struct mtv_buf b = MTV_BUF_INIT;
    char chunk[4096];
    size_t n = 0;

    if (fp == NULL) {
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
        mtv_buf_append(&b, chunk, n);
    }
    fclose(fp);
    return mtv_buf_detach(&b);
}

static int make_ca(struct vcsim_fixture *f, const char *name)
{
    char *key = mtv_strdup_printf("%s/%s.key", f->dir, name);
    char *pem = mtv_strdup_printf("%s/%s.pem", f->dir, name);
    char *subj = mtv_strdup_printf("/CN=mtvtest %s", name);
    char *argv[] = {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-days", "1", "-keyout", key, "-out", pem, "-subj", subj,
                    "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign", NULL};
    int rc = run(argv);

    free(key);
    free(pem);
    free(subj);
    return rc;
}

static int make_server_cert(struct vcsim_fixture *f)
{
    char *key = path_in(f, "server.key");
    char *csr = path_in(f, "server.csr");
    char *pem = path_in(f, "server.pem");
    char *ext = path_in(f, "server.ext");
    char *ca = path_in(f, "ca.pem");
    char *cakey = path_in(f, "ca.key");
    char *serial = path_in(f, "ca.srl");
    char *req[] = {"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout",
                   key, "-out", csr, "-subj", "/CN=127.0.0.1", NULL};
    char *sign[] = {"openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey",
                    cakey, "-CAcreateserial", "-CAserial", serial, "-out", pem,
                    "-days", "1", "-extfile", ext, NULL};
    FILE *fp = fopen(ext, "w");
    int rc = fp != NULL ? 0 : -1;

    if (fp != NULL) {
        fputs("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
              "basicConstraints=CA:FALSE\n"
              "keyUsage=digitalSignature,keyEncipherment\n"
              "extendedKeyUsage=serverAuth\n",
              fp);
        fclose(fp);
    }
    rc = rc == 0 ? run(req) : rc;
    rc = rc == 0 ? run(sign) : rc;
    free(key);
    free(csr);
    free(pem);
    free(ext);
    free(ca);
    free(cakey);
    free(serial);
    return rc;
}

static int write_credentials(struct vcsim_fixture *f)
{
    char *path = path_in(f, "credentials");
    char rnd[25];
    int fd = -1;
    int rc = -1;

    mtv_random_id(rnd, 8);
    snprintf(f->user, sizeof(f->user), "lab-%s", rnd);
    mtv_random_id(rnd, 24);
    snprintf(f->password, sizeof(f->password), "Pw-%s", rnd);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0 && dprintf(fd, "%s\n%s\n", f->user, f->password) > 0) {
        rc = 0;
    }
    if (fd >= 0) {
        close(fd);
    }
    free(path);
    return rc;
}

static char *binary_path(void)
{
    const char *dir = getenv("MTV_BINARY_DIR");

    return mtv_strdup_printf("%s/lab/mtv-vcsim",
                             dir != NULL ? dir : MTV_BINARY_DIR);
}

static int build_binary(const char *bin)
{
    char *script = mtv_strdup_printf("%s/lab/vcsim/build.sh", MTV_SOURCE_DIR);
    char *argv[] = {script, (char *)bin, NULL};
    int rc = run(argv);

    free(script);
    return rc;
}

/* Read one line from fd within the deadline. */
static int read_line(int fd, char *out, size_t size, int64_t timeout_ms)
{
    struct mtv_deadline d = mtv_deadline_in(timeout_ms);
    size_t n = 0;

    while (n + 1 < size) {
        struct pollfd p = {fd, POLLIN, 0};
        char c = 0;

        if (poll(&p, 1, (int)mtv_deadline_remaining_ms(&d)) <= 0 ||
            read(fd, &c, 1) != 1) {
            break;
        }
        if (c == '\n') {
            out[n] = '\0';
            return 0;
        }
        out[n++] = c;
    }
    out[n] = '\0';
    return -1;
}

static int spawn_sim(struct vcsim_fixture *f, const char *bin,
                     const char *const *extra, int *out_fd)
{
    char *cert = path_in(f, "server.pem");
    char *key = path_in(f, "server.key");
    char *creds = path_in(f, "credentials");
    char *log = path_in(f, "vcsim.log");
    char *argv[32] = {(char *)bin, "--listen", "127.0.0.1:0", "--tls-cert",
                      cert, "--tls-key", key, "--credentials-file", creds};
    size_t n = 9;
    int pipefd[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    int rc = -1;

    for (; extra != NULL && *extra != NULL && n < 30; extra++) {
        argv[n++] = (char *)*extra;
    }
    argv[n] = NULL;
    if (pipe2(pipefd, O_CLOEXEC) == 0) {
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
        posix_spawn_file_actions_addopen(&fa, 2, log,
                                         O_WRONLY | O_CREAT | O_TRUNC, 0600);
        rc = posix_spawn(&f->pid, bin, &fa, NULL, argv, environ) == 0 ? 0 : -1;
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[1]);
        *out_fd = pipefd[0];
    }
    free(cert);
    free(key);
    free(creds);
    free(log);
    return rc;
}

/* Print the tail of the simulator's log (its stderr) to our stderr. */
static void print_log_tail(const struct vcsim_fixture *f)
{
    char *path = path_in(f, "vcsim.log");
    char *text = path != NULL ? read_file(path) : NULL;
    size_t len = text != NULL ? strlen(text) : 0;

    fprintf(stderr, "vcsim fixture: simulator log tail:\n%s\n",
            text == NULL ? "(none)" : len > 2000 ? text + len - 2000 : text);
    free(text);
    free(path);
}

static int wait_ready(struct vcsim_fixture *f, int fd)
{
    char line[512];
    const char *prefix = "MTV_VCSIM_URL=";

    if (read_line(fd, line, sizeof(line), START_TIMEOUT_MS) != 0 ||
        !mtv_str_has_prefix(line, prefix)) {
        fprintf(stderr, "vcsim fixture: simulator did not report its URL\n");
        print_log_tail(f);
        return -1;
    }
    mtv_strlcpy(f->url, line + strlen(prefix), sizeof(f->url));
    return 0;
}

static int prepare(struct vcsim_fixture *f)
{
    char *ca = NULL;
    char *other = NULL;

    if (make_ca(f, "ca") != 0 || make_ca(f, "other-ca") != 0 ||
        make_server_cert(f) != 0 || write_credentials(f) != 0) {
        return -1;
    }
    ca = path_in(f, "ca.pem");
    other = path_in(f, "other-ca.pem");
    f->ca_pem = read_file(ca);
    f->other_ca_pem = read_file(other);
    free(ca);
    free(other);
    return f->ca_pem != NULL && f->other_ca_pem != NULL ? 0 : -1;
}

int vcsim_fixture_start(struct vcsim_fixture *f, const char *const *extra_args)
{
    char *bin = binary_path();
    int fd = -1;
    int rc = -1;

    memset(f, 0, sizeof(*f));
    f->pid = -1;
    f->pidfd = -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/mtv-vcsim-fixture-XXXXXX");
    if (bin == NULL || mkdtemp(f->dir) == NULL) {
        f->dir[0] = '\0';
        fprintf(stderr, "vcsim fixture: cannot make a temporary directory\n");
        goto out;
    }
    if (build_binary(bin) != 0 || prepare(f) != 0 ||
        spawn_sim(f, bin, extra_args, &fd) != 0) {
        fprintf(stderr, "vcsim fixture: cannot start %s\n", bin);
        goto out;
    }
    f->pidfd = (int)syscall(SYS_pidfd_open, f->pid, 0);
    rc = wait_ready(f, fd);
out:
    if (fd >= 0) {
        close(fd);
    }
    free(bin);
    if (rc != 0) {
        vcsim_fixture_stop(f);
    }
    return rc;
}

static void wait_exit(struct vcsim_fixture *f)
{
    struct pollfd p = {f->pidfd, POLLIN, 0};

    if (f->pidfd < 0 || poll(&p, 1, STOP_TIMEOUT_MS) <= 0) {
        kill(f->pid, SIGKILL);
    }
    waitpid(f->pid, NULL, 0);
}

/* Remove the fixture's (flat) directory and every file in it. */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e = NULL;
    char path[512];

    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d != NULL) {
        closedir(d);
    }
    rmdir(dir);
}

void vcsim_fixture_stop(struct vcsim_fixture *f)
{
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        wait_exit(f);
        f->pid = -1;
    }
    if (f->pidfd >= 0) {
        close(f->pidfd);
        f->pidfd = -1;
    }
    if (f->dir[0] != '\0') {
        remove_dir(f->dir);
        f->dir[0] = '\0';
    }
    free(f->ca_pem);
    free(f->other_ca_pem);
    f->ca_pem = NULL;
    f->other_ca_pem = NULL;
    explicit_bzero(f->password, sizeof(f->password));
}

struct mtv_vsphere_options vcsim_fixture_options(const struct vcsim_fixture *f)
{
    struct mtv_vsphere_options o = MTV_VSPHERE_OPTIONS_INIT;

    o.url = f->url;
    o.username = f->user;
    o.password = f->password;
    o.ca_pem = f->ca_pem;
    return o;
}

int vcsim_clone_name(char *out, const char *session, const char *tmpl)
{
    char *suffix = NULL;
    char *name = NULL;
    int rc = mtv_naming_vm_suffix(&suffix, "ocs-storagecluster-ceph-rbd",
                                  "4.20", true, NULL);

    rc = rc ? rc : mtv_naming_clone(&name, session, tmpl, suffix, NULL, NULL);
    if (rc == 0) {
        mtv_strlcpy(out, name, 64);
    }
    free(suffix);
    free(name);
    return rc;
}
