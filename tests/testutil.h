/* testutil.h: helpers shared by the tests: a throwaway PKI made with the
 * project's own generator, and the real programs run as subprocesses over
 * loopback with bounded waits. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A temporary directory (removed by cz_test_rmdir) holding ca.pem,
 * ca-key.pem, server.pem and server-key.pem (CN localhost; SANs
 * DNS:localhost, IP:127.0.0.1, IP:::1), made in-process with cz-cert. */
char *cz_test_make_pki (void);
void cz_test_rmdir (const char *dir);
/* Runs the default main context for @ms (windows' tests). */
void cz_test_spin (guint ms);

/* Decodes a test vector's hex (asserting it is valid). */
GBytes *cz_test_unhex (const char *hex);
/* Number of entries in a directory (asserting it opens). */
guint cz_test_count_dir_entries (const char *path);

/* The path of a built program: $CZ_SERVER_BIN / $CZ_CLIENT_BIN, or NULL
 * (tests that need it then skip). */
const char *cz_test_server_bin (void);
const char *cz_test_client_bin (void);

typedef struct {
  GSubprocess *proc;
  gboolean exited;      /* set by the main loop when the process ended */
  char *dir;
  char *db;
  guint16 port;
  char *address;
} CzTestServer;

/* Starts `causerie-server --headless --bind 127.0.0.1 --port 0` with the
 * PKI in @dir, the database @dir/server.db (unless @extra_args has --db),
 * 4,096 SCRAM iterations and @extra_args (NULL-terminated, may be NULL).
 * Waits (10 s at most) for "listening on ADDR:PORT".  The log goes to
 * @dir/server.log.  Returns NULL with @error on failure. */
CzTestServer *cz_test_server_start (const char *dir, const char *const *extra_args,
                                    GError **error);
/* When not 0, servers started next may not write files larger than this
 * many bytes (RLIMIT_FSIZE; a full disk as the server sees it). */
extern gsize cz_test_server_file_limit;
/* When not 0, servers started next may open at most this many files
 * (RLIMIT_NOFILE, soft and hard: the server cannot raise it). */
extern guint cz_test_server_nofile_limit;
/* The server's resident memory (VmRSS) in KiB, and the CPU time it used
 * so far (user + system) in ms, from /proc (asserting they read). */
guint64 cz_test_server_rss_kib (CzTestServer *server);
/* Its peak resident memory so far (VmHWM), in KiB. */
guint64 cz_test_server_peak_rss_kib (CzTestServer *server);
guint64 cz_test_server_cpu_ms (CzTestServer *server);
/* SIGTERM, then waits up to 10 s (SIGKILL after).  Returns the exit status. */
int cz_test_server_stop (CzTestServer *server);
/* SIGKILL at once (crash simulation). */
void cz_test_server_kill (CzTestServer *server);
void cz_test_server_free (CzTestServer *server);

typedef struct {
  GSubprocess *proc;
  gboolean exited;
  GOutputStream *in;
  GDataInputStream *out;
  GPtrArray *seen;      /* JsonObject* of every event read */
} CzTestClient;

/* Starts `causerie-client --cli --json --host 127.0.0.1 --port PORT` with
 * --ca-file @dir/ca.pem unless @extra_args names a trust option. */
CzTestClient *cz_test_client_start (const char *dir, guint16 port,
                                    const char *const *extra_args, GError **error);
/* Writes one command line. */
void cz_test_client_send (CzTestClient *client, const char *line);
/* Reads events until one named @event arrives (returned, owned by the
 * client's `seen` list) or @timeout_ms passes / the output ends (NULL). */
JsonObject *cz_test_client_expect (CzTestClient *client, const char *event, guint timeout_ms);
/* The same, but also requires member @key to equal the string @value. */
JsonObject *cz_test_client_expect_with (CzTestClient *client, const char *event,
                                        const char *key, const char *value, guint timeout_ms);
/* Events already read, named @event. */
guint cz_test_client_count (CzTestClient *client, const char *event);
/* Closes standard input and waits (10 s at most) for the exit; returns the
 * exit status (-1 if it had to be killed).  Reads remaining events. */
int cz_test_client_finish (CzTestClient *client);
void cz_test_client_free (CzTestClient *client);

/* Register then log in @user with @password on @client (asserting). */
void cz_test_client_register_login (CzTestClient *client, const char *user, const char *password);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzTestServer, cz_test_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzTestClient, cz_test_client_free)

G_END_DECLS

/* ---- Socketless channels (GnuTLS push/pull over memory) ---------------------- */
#include "cz-channel.h"

typedef struct _CzTestEnd CzTestEnd;

typedef struct {
  CzChannel *server;
  CzChannel *client;
  CzTestEnd *server_end;
  CzTestEnd *client_end;
  /* what the callbacks saw */
  GPtrArray *server_msgs;     /* GVariant* */
  GPtrArray *client_msgs;
  GError *server_closed;      /* copies of the closed errors */
  GError *client_closed;
  gboolean server_closed_called;
  gboolean client_closed_called;
  gboolean server_ready;
  gboolean client_ready;
  char *trust_fingerprint;    /* trust_prompt seen */
  gboolean auto_trust;        /* answer trust prompts with accept */
} CzTestPair;

/* A server channel and a client channel connected through memory. */
CzTestPair *cz_test_pair_new (CzTlsServerConfig *server_config, CzTlsClientConfig *client_config,
                              const char *host, CzDhGroup group);
/* Runs both sides until nothing moves (bounded). */
void cz_test_pair_pump (CzTestPair *pair);
/* Bytes in flight towards the server / client (for tampering). */
GByteArray *cz_test_pair_to_server (CzTestPair *pair);
GByteArray *cz_test_pair_to_client (CzTestPair *pair);
void cz_test_pair_free (CzTestPair *pair);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzTestPair, cz_test_pair_free)
