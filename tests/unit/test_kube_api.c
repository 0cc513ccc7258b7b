/* kube: requests, Status decoding, retries, OAuth, tokens (fake transport). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_http.h"
#include "kube/kube_priv.h"
#include "mtv/kube.h"

#define SERVER "https://api.lab.example:6443"
#define JSON_CT "Content-Type: application/json"

struct fixture {
    struct mtv_http_transport t;
    struct mtv_kube_config cfg;
    struct mtv_kube_client *c;
};

static int setup_with(void **state, const char *token)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct mtv_kube_client_options o = MTV_KUBE_CLIENT_OPTIONS_INIT;

    f->t = fake_http_transport();
    f->cfg.server = (char *)SERVER;
    f->cfg.source = (char *)"test";
    f->cfg.token = (char *)token;
    o.config = &f->cfg;
    o.transport = &f->t;
    o.backoff_base_ms = 1;
    o.backoff_cap_ms = 2;
    assert_int_equal(mtv_kube_client_new(&f->c, &o, NULL), 0);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, "tok-0123456789");
}

static int setup_cert(void **state)
{
    return setup_with(state, NULL);
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    fake_http_reset();
    mtv_kube_client_free(f->c);
    free(f);
    return 0;
}

static struct mtv_json *parse(const char *text)
{
    struct mtv_json *j = NULL;
    assert_int_equal(mtv_json_parse(&j, text, strlen(text), NULL, NULL), 0);
    return j;
}

/* ------------------------------------------------------------ requests */

static void test_kube_api__get_builds_path_and_auth(void **state)
{
    struct fixture *f = *state;
    struct mtv_kube_ref ref;
    struct mtv_json *obj = NULL;

    assert_int_equal(mtv_kube_ref_for_kind(&ref, "Plan", "ns1", "p 1", NULL),
                     0);
    fake_http_expect("GET",
                     "/apis/forklift.konveyor.io/v1beta1/namespaces/ns1/plans/"
                     "p%201");
    fake_http_expect_header("Authorization: Bearer tok-0123456789");
    fake_http_expect_header("Accept: application/json");
    fake_http_will_respond(200, JSON_CT, "{\"kind\":\"Plan\"}");
    assert_int_equal(mtv_kube_get(&obj, f->c, &ref, NULL), 0);
    assert_string_equal(mtv_json_string_or(obj, "kind", ""), "Plan");
    mtv_json_free(obj);
}

static void test_kube_api__kind_table_covers_warm_flow(void **state)
{
    static const char *const kinds[] = {
        "Namespace", "Secret", "Pod", "PersistentVolumeClaim",
        "PersistentVolume", "DataVolume", "StorageClass", "Route",
        "NetworkAttachmentDefinition", "Deployment", "ForkliftController",
        "Provider", "NetworkMap", "StorageMap", "Plan", "Migration", "Host",
        "Hook", "VirtualMachine", "VirtualMachineInstance", "ClusterVersion",
        "Subscription", "ClusterServiceVersion", "ServiceAccount"};
    struct mtv_buf b = MTV_BUF_INIT;
    struct mtv_kube_ref ref;
    char av[128];

    (void)state;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        assert_non_null(mtv_kube_kind_find(kinds[i]));
    }
    assert_string_equal(mtv_kube_kind_find("plans.forklift.konveyor.io")->kind,
                        "Plan");
    assert_string_equal(mtv_kube_kind_api_version(mtv_kube_kind_find("secrets"),
                                                  av, sizeof(av)),
                        "v1");
    assert_string_equal(mtv_kube_kind_api_version(mtv_kube_kind_find("Plan"),
                                                  av, sizeof(av)),
                        "forklift.konveyor.io/v1beta1");
    assert_null(mtv_kube_kind_find("Nope"));
    assert_int_equal(mtv_kube_ref_for_kind(&ref, "Namespace", "x", "n", NULL),
                     0);
    assert_int_equal(mtv_kube_ref_path(&b, &ref), 0);
    assert_string_equal(b.data, "/api/v1/namespaces/n");
    mtv_buf_dispose(&b);
    assert_int_equal(mtv_kube_ref_for_kind(&ref, "Plan", NULL, "p", NULL),
                     MTV_EINVAL);
}

static void test_kube_api__list_follows_continue(void **state)
{
    struct fixture *f = *state;
    struct mtv_kube_ref ref;
    struct mtv_kube_list_options lo = {"app=x,tier in (a)", NULL, 1};
    struct mtv_json *list = NULL;

    assert_int_equal(mtv_kube_ref_for_kind(&ref, "Pod", "ns", NULL, NULL), 0);
    fake_http_expect("GET", "/api/v1/namespaces/ns/pods?labelSelector=app%3Dx"
                            "%2Ctier%20in%20%28a%29&limit=1");
    fake_http_will_respond(200, JSON_CT,
                           "{\"kind\":\"PodList\",\"metadata\":{\"continue\":"
                           "\"tok/1\",\"resourceVersion\":\"5\"},\"items\":"
                           "[{\"metadata\":{\"name\":\"a\"}}]}");
    fake_http_expect("GET", "/api/v1/namespaces/ns/pods?labelSelector=app%3Dx"
                            "%2Ctier%20in%20%28a%29&limit=1&continue=tok%2F1");
    fake_http_will_respond(200, JSON_CT,
                           "{\"kind\":\"PodList\",\"metadata\":{"
                           "\"resourceVersion\":\"6\"},\"items\":"
                           "[{\"metadata\":{\"name\":\"b\"}}]}");
    assert_int_equal(mtv_kube_list(&list, f->c, &ref, &lo, NULL), 0);
    assert_int_equal(mtv_json_size(mtv_json_get(list, "items")), 2);
    assert_string_equal(mtv_json_string_or(list, "items[1].metadata.name",
                                           ""),
                        "b");
    assert_string_equal(mtv_json_string_or(list, "metadata.resourceVersion",
                                           ""),
                        "6");
    assert_null(mtv_json_get(list, "metadata.continue"));
    mtv_json_free(list);
}

static void test_kube_api__writes_use_the_right_types(void **state)
{
    struct fixture *f = *state;
    struct mtv_kube_ref ref;
    struct mtv_json *obj = parse("{\"metadata\":{\"generateName\":\"p-\"}}");
    struct mtv_json *patch = parse("{\"spec\":{\"archived\":true}}");
    struct mtv_json *ops = parse("[{\"op\":\"remove\",\"path\":\"/x\"}]");
    struct mtv_json *out = NULL;

    assert_int_equal(mtv_kube_ref_for_kind(&ref, "Plan", "ns", "p", NULL), 0);
    fake_http_expect("POST",
                     "/apis/forklift.konveyor.io/v1beta1/namespaces/ns/plans");
    fake_http_expect_header(JSON_CT);
    fake_http_expect_body_contains("\"generateName\":\"p-\"");
    fake_http_will_respond(201, JSON_CT,
                           "{\"metadata\":{\"name\":\"p-bx2k9\"}}");
    fake_http_expect("PATCH", NULL);
    fake_http_expect_header("Content-Type: application/merge-patch+json");
    fake_http_will_respond(200, JSON_CT, "{}");
    fake_http_expect("PATCH", NULL);
    fake_http_expect_header("Content-Type: application/json-patch+json");
    fake_http_will_respond(200, JSON_CT, "{}");
    fake_http_expect("PUT", NULL);
    fake_http_will_respond(200, JSON_CT, "{}");
    fake_http_expect("DELETE",
                     "/apis/forklift.konveyor.io/v1beta1/namespaces/ns/plans/p");
    fake_http_expect_body_contains("\"propagationPolicy\":\"Foreground\"");
    fake_http_will_respond(200, JSON_CT, "{}");

    assert_int_equal(mtv_kube_create(&out, f->c, &ref, obj, NULL), 0);
    assert_string_equal(mtv_json_string_or(out, "metadata.name", ""),
                        "p-bx2k9");
    assert_int_equal(mtv_kube_merge_patch(NULL, f->c, &ref, patch, NULL), 0);
    assert_int_equal(mtv_kube_json_patch(NULL, f->c, &ref, ops, NULL), 0);
    assert_int_equal(mtv_kube_replace(NULL, f->c, &ref, obj, NULL), 0);
    assert_int_equal(mtv_kube_delete(NULL, f->c, &ref, "Foreground", NULL),
                     0);
    mtv_json_free(out);
    mtv_json_free(obj);
    mtv_json_free(patch);
    mtv_json_free(ops);
}

static void test_kube_api__subresource_call(void **state)
{
    struct fixture *f = *state;
    struct mtv_kube_ref ref = {"subresources.kubevirt.io", "v1",
                               "virtualmachines", "ns", "vm1", "start"};
    struct mtv_kube_ref log = {"", "v1", "pods", "ns", "pod1", "log"};
    struct mtv_kube_call start = {"PUT", &ref, NULL, "{}", NULL};
    struct mtv_kube_call logs = {"GET", &log, "tailLines=10", NULL, NULL};
    char *text = NULL;

    fake_http_expect("PUT", "/apis/subresources.kubevirt.io/v1/namespaces/ns/"
                            "virtualmachines/vm1/start");
    fake_http_will_respond(202, NULL, "");
    fake_http_expect("GET", "/api/v1/namespaces/ns/pods/pod1/log?tailLines=10");
    fake_http_will_respond(200, "Content-Type: text/plain", "line1\nline2\n");
    assert_int_equal(mtv_kube_call(NULL, f->c, &start, NULL), 0);
    assert_int_equal(mtv_kube_call(&text, f->c, &logs, NULL), 0);
    assert_string_equal(text, "line1\nline2\n");
    free(text);
}

/* ------------------------------------------------------- Status errors */

struct status_case {
    int status;
    const char *file;
    int code;
    const char *reason;
    const char *remote;
};

static void test_kube_api__status_decoding(void **state)
{
    static const struct status_case cases[] = {
        {404, "kube/status-404.json", MTV_ENOTFOUND, "NotFound",
         "plans.forklift.konveyor.io \"p1\" not found"},
        {409, "kube/status-409.json", MTV_EREMOTE, "AlreadyExists",
         "namespaces \"ns1\" already exists"},
        {422, "kube/status-422.json", MTV_EREMOTE, "Invalid",
         "(causes: spec.provider.source: Required value; "
         "spec.targetNamespace: Invalid value"},
        {403, "kube/status-403.json", MTV_EAUTH, "Forbidden",
         "cannot create resource \"plans\""},
    };
    struct fixture *f = *state;
    struct mtv_kube_ref ref;
    struct mtv_json *obj = parse("{\"metadata\":{\"name\":\"p1\"}}");

    assert_int_equal(mtv_kube_ref_for_kind(&ref, "Plan", "ns1", "p1", NULL),
                     0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mtv_error err;
        struct mtv_json *out = NULL;
        mtv_error_clear(&err);
        fake_http_will_respond_file(cases[i].status, JSON_CT, cases[i].file);
        assert_int_equal(mtv_kube_create(&out, f->c, &ref, obj, &err),
                         cases[i].code);
        assert_null(out);
        assert_int_equal(err.http_status, cases[i].status);
        assert_true(mtv_kube_error_is(&err, cases[i].reason));
        if (strstr(err.remote, cases[i].remote) == NULL) {
            fail_msg("case %zu: remote '%s' lacks '%s'", i, err.remote,
                     cases[i].remote);
        }
        assert_non_null(strstr(err.msg, "create plans.forklift.konveyor.io"));
    }
    mtv_json_free(obj);
}

static void test_kube_api__auth_errors_have_hints(void **state)
{
    struct fixture *f = *state;
    struct mtv_kube_ref ref;
    struct mtv_error err;
    struct mtv_json *out = NULL;

    assert_int_equal(mtv_kube_ref_for_kind(&ref, "Secret", "ns1", "s", NULL),
                     0);
    fake_http_will_respond(401, JSON_CT,
                           "{\"kind\":\"Status\",\"message\":\"Unauthorized\","
                           "\"reason\":\"Unauthorized\",\"code\":401}");
    assert_int_equal(mtv_kube_get(&out, f->c, &ref, &err), MTV_EAUTH);
    assert_non_null(strstr(err.msg, "hint:"));
    assert_non_null(strstr(err.msg, "get secrets ns1/s"));
    assert_string_equal(err.remote, "Unauthorized");
    fake_http_will_respond_file(403, JSON_CT, "kube/status-403.json");
    assert_int_equal(mtv_kube_delete(NULL, f->c, &ref, NULL, &err), MTV_EAUTH);
    assert_non_null(strstr(err.msg, "not allowed to delete secrets ns1/s"));
    /* a non-Status body still surfaces */
    fake_http_will_respond(502, "Content-Type: text/html", "<h1>Bad gw</h1>");
    fake_http_will_respond(502, "Content-Type: text/html", "<h1>Bad gw</h1>");
    fake_http_will_respond(502, "Content-Type: text/html", "<h1>Bad gw</h1>");
    fake_http_will_respond(502, "Content-Type: text/html", "<h1>Bad gw</h1>");
    fake_http_will_respond(502, "Content-Type: text/html", "<h1>Bad gw</h1>");
    assert_int_equal(mtv_kube_get(&out, f->c, &ref, &err), MTV_EREMOTE);
    assert_int_equal(err.http_status, 502);
    assert_string_equal(err.remote, "<h1>Bad gw</h1>");
    assert_int_equal(fake_http_count(), 7);
}

/* -------------------------------------------------------------- retries */

struct retry_case {
    const char *method;
    int status; /* 0: transport failure */
    int fail;
    const char *body;
    bool retry;
};

static void test_kube_api__retry_decision_table(void **state)
{
    static const struct retry_case cases[] = {
        {"GET", 500, 0, "etcdserver: leader changed", true},
        {"GET", 502, 0, "", true},
        {"GET", 503, 0, "", true},
        {"GET", 504, 0, "", true},
        {"GET", 429, 0, "", true},
        {"GET", 404, 0, "", false},
        {"GET", 409, 0, "", false},
        {"GET", 422, 0, "", false},
        {"GET", 401, 0, "", false},
        {"GET", 403, 0, "forbidden", false},
        {"GET", 403, 0, "context deadline exceeded", true},
        {"GET", 0, MTV_HTTP_FAIL_CONNECT, "", true},
        {"GET", 0, MTV_HTTP_FAIL_RECV, "", true},
        {"GET", 0, MTV_HTTP_FAIL_OTHER, "", false},
        {"DELETE", 503, 0, "", true},
        {"DELETE", 0, MTV_HTTP_FAIL_RECV, "", true},
        {"PATCH", 500, 0, "", true},
        {"PATCH", 409, 0, "{\"reason\":\"Conflict\"}", true},
        {"PUT", 504, 0, "", true},
        {"PUT", 409, 0, "{\"reason\":\"Conflict\"}", false},
        {"POST", 429, 0, "", true},
        {"POST", 503, 0, "", true},
        {"POST", 0, MTV_HTTP_FAIL_CONNECT, "", true},
        {"POST", 0, MTV_HTTP_FAIL_SEND, "", false},
        {"POST", 0, MTV_HTTP_FAIL_RECV, "", false},
        {"POST", 500, 0, "internal error", false},
        {"POST", 500, 0, "failed calling webhook \"x\"", true},
        {"POST", 500, 0, "etcdserver: leader changed", true},
        {"POST", 502, 0, "", false},
        {"POST", 504, 0, "", false},
        {"POST", 409, 0, "", false},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mtv_http_response resp;
        int rc = cases[i].status == 0 ? MTV_EIO : 0;
        mtv_http_response_init(&resp, 0);
        resp.status = cases[i].status;
        resp.fail = cases[i].fail;
        mtv_buf_puts(&resp.body, cases[i].body);
        if (mtv_kube__should_retry(cases[i].method, rc, &resp) !=
            cases[i].retry) {
            fail_msg("case %zu: %s %d fail=%d: expected %s", i,
                     cases[i].method, cases[i].status, cases[i].fail,
                     cases[i].retry ? "retry" : "no retry");
        }
        mtv_http_response_dispose(&resp);
    }
}

static void test_kube_api__get_retried_until_success(void **state)
{
    struct fixture *f = *state;
    struct mtv_kube_ref ref;
    struct mtv_json *out = NULL;
    struct mtv_kube_stats st;

    assert_int_equal(mtv_kube_ref_for_kind(&ref, "Namespace", NULL, "n", NULL),
                     0);
    fake_http_will_fail(MTV_EIO, MTV_HTTP_FAIL_RECV);
    fake_http_will_respond(429, "Retry-After: 0", "");
    fake_http_will_respond_file(500, JSON_CT, "kube/status-500-etcd.json");
    fake_http_will_respond(200, JSON_CT, "{\"kind\":\"Namespace\"}");
    assert_int_equal(mtv_kube_get(&out, f->c, &ref, NULL), 0);
    mtv_json_free(out);
    mtv_kube_client_stats(f->c, &st);
    assert_int_equal(st.requests, 4);
    assert_int_equal(st.retries, 3);
}

static void test_kube_api__post_not_retried_when_maybe_applied(void **state)
{
    struct fixture *f = *state;
    struct mtv_kube_ref ref;
    struct mtv_json *obj = parse("{\"metadata\":{\"name\":\"n\"}}");
    struct mtv_error err;

    assert_int_equal(mtv_kube_ref_for_kind(&ref, "Namespace", NULL, NULL,
                                           NULL),
                     0);
    fake_http_will_fail(MTV_EIO, MTV_HTTP_FAIL_RECV);
    assert_int_equal(mtv_kube_create(NULL, f->c, &ref, obj, &err), MTV_EIO);
    assert_int_equal(fake_http_count(), 1);
    mtv_json_free(obj);
}

static void test_kube_api__retried_create_409_reads_back(void **state)
{
    struct fixture *f = *state;
    struct mtv_kube_ref ref;
    struct mtv_json *obj = parse("{\"metadata\":{\"name\":\"ns1\",\"labels\":"
                                 "{\"mtvtest.io/session\":\"s1\"}}}");
    struct mtv_json *out = NULL;
    struct mtv_error err;

    assert_int_equal(mtv_kube_ref_for_kind(&ref, "Namespace", NULL, NULL,
                                           NULL),
                     0);
    /* first attempt: the webhook timed out after... the retry finds it */
    fake_http_will_fail(MTV_EIO, MTV_HTTP_FAIL_CONNECT);
    fake_http_will_respond_file(409, JSON_CT, "kube/status-409.json");
    fake_http_expect("POST", "/api/v1/namespaces");
    fake_http_expect("POST", "/api/v1/namespaces");
    fake_http_expect("GET", "/api/v1/namespaces/ns1");
    fake_http_will_respond(200, JSON_CT,
                           "{\"metadata\":{\"name\":\"ns1\",\"uid\":\"u1\","
                           "\"labels\":{\"mtvtest.io/session\":\"s1\"}}}");
    assert_int_equal(mtv_kube_create(&out, f->c, &ref, obj, &err), 0);
    assert_string_equal(mtv_json_string_or(out, "metadata.uid", ""), "u1");
    mtv_json_free(out);
    out = NULL;
    /* someone else's object (other session label): the 409 stands */
    fake_http_will_fail(MTV_EIO, MTV_HTTP_FAIL_CONNECT);
    fake_http_will_respond_file(409, JSON_CT, "kube/status-409.json");
    fake_http_will_respond(200, JSON_CT,
                           "{\"metadata\":{\"name\":\"ns1\",\"labels\":"
                           "{\"mtvtest.io/session\":\"other\"}}}");
    assert_int_equal(mtv_kube_create(&out, f->c, &ref, obj, &err),
                     MTV_EREMOTE);
    assert_true(mtv_kube_error_is(&err, "AlreadyExists"));
    assert_null(out);
    /* a first-attempt 409 is not read back */
    fake_http_will_respond_file(409, JSON_CT, "kube/status-409.json");
    assert_int_equal(mtv_kube_create(&out, f->c, &ref, obj, &err),
                     MTV_EREMOTE);
    assert_int_equal(fake_http_count(), 7);
    mtv_json_free(obj);
}

/* ---------------------------------------------------------------- OAuth */

static void test_kube_api__oauth_code_flow(void **state)
{
    struct mtv_http_transport t = fake_http_transport();
    struct mtv_kube_oauth_options o = {SERVER, "kubeadmin", "s3cret-pass",
                                       NULL, false, &t};
    char *token = NULL;
    char *red = NULL;

    (void)state;
    fake_http_expect("GET", "/.well-known/oauth-authorization-server");
    fake_http_will_respond_file(200, JSON_CT, "kube/oauth-metadata.json");
    fake_http_expect("GET", "/oauth/authorize?client_id=openshift-challenging-"
                            "client&response_type=code&code_challenge_method="
                            "S256&state=kubeadmin");
    /* base64("kubeadmin:s3cret-pass") */
    fake_http_expect_header(
        "Authorization: Basic a3ViZWFkbWluOnMzY3JldC1wYXNz");
    fake_http_expect_header("X-CSRF-Token: kubeadmin");
    fake_http_will_respond(302,
                           "Location: https://oauth-openshift.apps.lab.example"
                           "/oauth/token/implicit?code=sha256~CODE42&state=x",
                           "");
    fake_http_expect("POST", "/oauth/token");
    fake_http_expect_header("Authorization: Basic "
                            "b3BlbnNoaWZ0LWNoYWxsZW5naW5nLWNsaWVudDo=");
    fake_http_expect_body_contains("grant_type=authorization_code&code=sha256"
                                   "~CODE42&client_id=openshift-challenging-"
                                   "client");
    fake_http_will_respond(200, JSON_CT,
                           "{\"access_token\":\"sha256~ACCESS-TOKEN-1\","
                           "\"token_type\":\"Bearer\",\"expires_in\":86400}");
    assert_int_equal(mtv_kube_oauth_login(&token, &o, NULL), 0);
    assert_string_equal(token, "sha256~ACCESS-TOKEN-1");
    /* password and token are redacted from logs */
    red = mtv_redact_str("pw s3cret-pass tok sha256~ACCESS-TOKEN-1");
    assert_null(strstr(red, "s3cret-pass"));
    assert_null(strstr(red, "ACCESS-TOKEN"));
    free(red);
    mtv_str_free_secret(token);
    fake_http_reset();
}

static void test_kube_api__oauth_bad_password(void **state)
{
    struct mtv_http_transport t = fake_http_transport();
    struct mtv_kube_oauth_options o = {SERVER, "kubeadmin", "wrong-pass",
                                       NULL, false, &t};
    char *token = NULL;
    struct mtv_error err;

    (void)state;
    fake_http_will_respond_file(200, JSON_CT, "kube/oauth-metadata.json");
    fake_http_will_respond(401, JSON_CT,
                           "{\"error\":\"unauthorized\",\"error_description\":"
                           "\"Invalid username or password\"}");
    assert_int_equal(mtv_kube_oauth_login(&token, &o, &err), MTV_EAUTH);
    assert_null(token);
    assert_int_equal(err.http_status, 401);
    assert_string_equal(err.remote, "Invalid username or password");
    assert_null(strstr(err.msg, "wrong-pass"));
    fake_http_reset();
}

static void queue_oauth(const char *code, const char *token)
{
    char loc[256];
    char body[256];

    snprintf(loc, sizeof(loc),
             "Location: https://oauth.example/oauth/token/implicit?code=%s",
             code);
    snprintf(body, sizeof(body), "{\"access_token\":\"%s\"}", token);
    fake_http_will_respond_file(200, JSON_CT, "kube/oauth-metadata.json");
    fake_http_will_respond(302, loc, "");
    fake_http_will_respond(200, JSON_CT, body);
}

static void test_kube_api__expired_token_logs_in_again(void **state)
{
    struct fixture *f = *state;
    struct mtv_kube_oauth_options o = {SERVER, "kubeadmin", "s3cret-pass",
                                       NULL, false, &f->t};
    struct mtv_kube_ref ref;
    struct mtv_json *out = NULL;

    assert_int_equal(mtv_kube_ref_for_kind(&ref, "Namespace", NULL, "x", NULL),
                     0);
    queue_oauth("code-1", "first-token-aaaa");
    assert_int_equal(mtv_kube_client_oauth_login(f->c, &o, NULL), 0);
    assert_string_equal(mtv_kube_client_token(f->c), "first-token-aaaa");
    /* the token expires: 401, a new login, the request again */
    fake_http_will_respond(401, JSON_CT,
                           "{\"kind\":\"Status\",\"reason\":"
                           "\"Unauthorized\",\"code\":401}");
    queue_oauth("code-2", "second-token-bbbb");
    fake_http_will_respond(200, JSON_CT, "{\"kind\":\"Namespace\"}");
    assert_int_equal(mtv_kube_get(&out, f->c, &ref, NULL), 0);
    mtv_json_free(out);
    out = NULL;
    assert_int_equal(fake_http_count(), 8);
    assert_string_equal(fake_http_record_header(3, "Authorization"),
                        "Bearer first-token-aaaa");
    assert_string_equal(fake_http_record_header(7, "Authorization"),
                        "Bearer second-token-bbbb");
    /* a second 401 right after a fresh login is final */
    fake_http_will_respond(401, JSON_CT, "{\"kind\":\"Status\"}");
    queue_oauth("code-3", "third-token-cccc");
    fake_http_will_respond(401, JSON_CT, "{\"kind\":\"Status\"}");
    assert_int_equal(mtv_kube_get(&out, f->c, &ref, NULL), MTV_EAUTH);
    assert_null(out);
}

/* ---------------------------------------------------------- bearer tokens */

static void test_kube_api__ensure_token_needs_service_account(void **state)
{
    struct fixture *f = *state;
    struct mtv_error err;

    assert_null(mtv_kube_client_token(f->c));
    assert_int_equal(mtv_kube_ensure_token(f->c, NULL, &err), MTV_ECONFIG);
    assert_non_null(strstr(err.msg, "--token-service-account NS/NAME"));
    assert_int_equal(mtv_kube_ensure_token(f->c, "no-slash", &err),
                     MTV_ECONFIG);
    fake_http_expect("POST", "/api/v1/namespaces/mtv/serviceaccounts/runner/"
                             "token");
    fake_http_expect_body_contains("\"kind\":\"TokenRequest\"");
    fake_http_will_respond(201, JSON_CT,
                           "{\"kind\":\"TokenRequest\",\"status\":{\"token\":"
                           "\"minted-token-xyz\"}}");
    assert_int_equal(mtv_kube_ensure_token(f->c, "mtv/runner", &err), 0);
    assert_string_equal(mtv_kube_client_token(f->c), "minted-token-xyz");
    /* later requests carry it */
    fake_http_expect("GET", NULL);
    fake_http_expect_header("Authorization: Bearer minted-token-xyz");
    fake_http_will_respond(200, JSON_CT, "{}");
    struct mtv_kube_ref ref;
    struct mtv_json *out = NULL;
    assert_int_equal(mtv_kube_ref_for_kind(&ref, "Namespace", NULL, "x", NULL),
                     0);
    assert_int_equal(mtv_kube_get(&out, f->c, &ref, NULL), 0);
    mtv_json_free(out);
}

static void test_kube_api__discover(void **state)
{
    struct fixture *f = *state;
    struct mtv_json *d = NULL;

    fake_http_expect("GET", "/version");
    fake_http_will_respond(200, JSON_CT, "{\"gitVersion\":\"v1.32.0\"}");
    fake_http_expect("GET", "/apis");
    fake_http_will_respond(200, JSON_CT,
                           "{\"kind\":\"APIGroupList\",\"groups\":[{\"name\":"
                           "\"apps\",\"preferredVersion\":{\"groupVersion\":"
                           "\"apps/v1\"}}]}");
    assert_int_equal(mtv_kube_discover(&d, f->c, NULL), 0);
    assert_string_equal(mtv_json_string_or(d, "version.gitVersion", ""),
                        "v1.32.0");
    assert_string_equal(mtv_json_string_or(d, "groups[1]", ""), "apps/v1");
    mtv_json_free(d);
}

static void test_kube_api__upgrade_through_transport(void **state)
{
    struct fixture *f = *state;
    struct mtv_kube_ref ref = {"subresources.kubevirt.io", "v1",
                               "virtualmachineinstances", "ns", "vm1",
                               "portforward/22/tcp"};
    static const char *const h[] = {"Upgrade: websocket",
                                    "Sec-WebSocket-Protocol: plain.kubevirt.io",
                                    NULL};
    struct mtv_http_stream *s = NULL;
    struct mtv_http_response head;
    struct mtv_error err;
    char buf[16];
    size_t got = 0;

    mtv_http_response_init(&head, 0);
    fake_http_expect("GET", "/apis/subresources.kubevirt.io/v1/namespaces/ns/"
                            "virtualmachineinstances/vm1/portforward/22/tcp");
    fake_http_expect_header("Authorization: Bearer tok-0123456789");
    fake_http_expect_header("Sec-WebSocket-Protocol: plain.kubevirt.io");
    fake_http_will_upgrade(101, "Upgrade: websocket", "\x82\x03SSH", 5);
    assert_int_equal(mtv_kube_upgrade(&s, f->c, &ref, h, &head, &err), 0);
    assert_int_equal(head.status, 101);
    assert_int_equal(mtv_http_stream_recv(s, buf, sizeof(buf), &got, NULL,
                                          &err),
                     0);
    assert_int_equal(got, 5);
    mtv_http_stream_close(s);
    s = NULL;
    fake_http_will_upgrade(404, JSON_CT,
                           "{\"kind\":\"Status\",\"reason\":\"NotFound\","
                           "\"message\":\"virtualmachineinstance.kubevirt.io"
                           " \\\"vm1\\\" not found\"}",
                           strlen("{\"kind\":\"Status\",\"reason\":\"NotFound"
                                  "\",\"message\":\"virtualmachineinstance."
                                  "kubevirt.io \\\"vm1\\\" not found\"}"));
    assert_int_equal(mtv_kube_upgrade(&s, f->c, &ref, h, &head, &err),
                     MTV_ENOTFOUND);
    assert_null(s);
    assert_non_null(strstr(err.remote, "not found"));
    mtv_http_response_dispose(&head);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_kube_api__get_builds_path_and_auth, setup, teardown),
        cmocka_unit_test(test_kube_api__kind_table_covers_warm_flow),
        cmocka_unit_test_setup_teardown(test_kube_api__list_follows_continue,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_kube_api__writes_use_the_right_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kube_api__subresource_call,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_kube_api__status_decoding, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_kube_api__auth_errors_have_hints,
                                        setup, teardown),
        cmocka_unit_test(test_kube_api__retry_decision_table),
        cmocka_unit_test_setup_teardown(
            test_kube_api__get_retried_until_success, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_kube_api__post_not_retried_when_maybe_applied, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_kube_api__retried_create_409_reads_back, setup, teardown),
        cmocka_unit_test(test_kube_api__oauth_code_flow),
        cmocka_unit_test(test_kube_api__oauth_bad_password),
        cmocka_unit_test_setup_teardown(
            test_kube_api__expired_token_logs_in_again, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_kube_api__ensure_token_needs_service_account, setup_cert,
            teardown),
        cmocka_unit_test_setup_teardown(test_kube_api__discover, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_kube_api__upgrade_through_transport, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    mtv_log_clear_secrets();
    return rc;
}
