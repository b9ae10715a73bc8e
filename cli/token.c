/*
 * The ID token for the admin and approver commands (report, revoke,
 * explain, requests, approve, deny, ack): --token-file / $MESHCA_ID_TOKEN
 * when given, else an interactive login at the organisation's identity
 * provider, the same flows as meshca login (browser when one can be opened,
 * else the device flow; $MESHCA_LOGIN_FLOW=device|browser chooses).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "cli_err.h"
#include "cli_oidc.h"

int
cli_token_get(const char *cmd, const struct cli_conn *conn,
    const char *token_file, char **tokenp)
{
    struct oidc_endpoints *ep = NULL;
    struct cli_response r;
    const char *env = getenv("MESHCA_ID_TOKEN"), *flow;
    json_t *cfg = NULL;
    char why[512];
    int rc = MESHCA_ERR_CLI_LOGIN;

    *tokenp = NULL;
    if (token_file != NULL || (env != NULL && *env != '\0'))
        return cli_token_read(token_file, tokenp);
    memset(&r, 0, sizeof(r));
    if (cli_http(conn, "GET", "/v1/config", NULL, NULL, CLI_RESPONSE_MAX,
        &r) != 0 || r.status != 200 ||
        (cfg = json_loadb(r.body, r.len, 0, NULL)) == NULL) {
        fprintf(stderr, "meshca %s: cannot fetch the login configuration "
            "from %s/v1/config (%s); or pass --token-file\n", cmd,
            conn->server, r.status ? "bad answer" : r.error);
        goto out;
    }
    if (oidc_endpoints_resolve(conn, cfg, &ep, why, sizeof(why)) != 0) {
        fprintf(stderr, "meshca %s: %s\n", cmd, why);
        goto out;
    }
    flow = getenv("MESHCA_LOGIN_FLOW");
    if (flow == NULL || *flow == '\0')
        flow = oidc_can_open_browser() && ep->authorize != NULL ? "browser" :
            "device";
    fprintf(stderr, "meshca %s: logging in at %s\n", cmd, ep->issuer);
    rc = strcmp(flow, "browser") == 0 ? oidc_browser_login(conn, ep, NULL,
        tokenp) : oidc_device_login(conn, ep, tokenp);
out:
    cli_response_free(&r);
    json_decref(cfg);
    oidc_endpoints_free(ep);
    return rc;
}
