/* bench.h: causerie-bench, the load generator of doc/performance.md.
 *
 * One thread drives every connection on one epoll set: causerie clients
 * (CzChannel client sides, SCRAM exactly as cz-client.c), IRC-over-TLS
 * clients for ngIRCd, and raw TLS clients for the echo ceiling and bare
 * handshakes.  Results go to standard output as `RESULT key=value ...`
 * lines that tests/bench/run-bench turns into tables; progress goes to
 * standard error. */
#pragma once

#include <glib.h>
#include <gnutls/gnutls.h>

#include "cz-channel.h"
#include "cz-tls.h"

G_BEGIN_DECLS

/* ---- Options shared by every subcommand ---------------------------------- */

typedef struct {
  char *host;               /* "127.0.0.1" */
  int port;
  char *ca_file;
  char *pin_cert;           /* trust this certificate's key (pin) instead of the CA */
  char *prefix;             /* user / nick prefix, "u" */
  char *password;
  int clients;              /* connections (relay, idle) */
  int messages;             /* relay: messages in all (closed loop) */
  int size;                 /* relay: text bytes per message */
  int window;               /* relay: outstanding messages per sender */
  double rate;              /* relay: messages/s in all (open loop); 0 = closed loop */
  double duration;          /* open loop: the measurement window; churn: seconds */
  double warmup;            /* open loop: seconds sent before the window opens */
  int concurrency;          /* connections being set up at once */
  int server_pid;           /* for RSS and CPU readings; 0 = none */
  double timeout;           /* hard bound of the whole command, seconds */
  int first_user;           /* index of the first user */
  gboolean receipts;        /* causerie recipients send `received` */
  char *label;              /* target name in the RESULT line; NULL = the target's */
  int threads;              /* logins and handshakes: generator threads (1) */
} BenchOptions;

/* ---- The loop ---------------------------------------------------------------- */

typedef struct _BenchIo BenchIo;
typedef void (*BenchIoFunc) (BenchIo *io, guint32 events);

struct _BenchIo {
  int fd;
  guint32 mask;             /* what epoll watches; 0 = not registered */
  BenchIoFunc func;
};

void bench_loop_init (void);
/* Adds, modifies or (mask 0) removes @io. */
void bench_loop_watch (BenchIo *io, guint32 mask);
/* Waits up to @timeout_ms and dispatches.  Returns the number of events. */
int bench_loop_iterate (int timeout_ms);

/* Non-blocking connect to @host:@port with TCP_NODELAY; -1 and @error. */
int bench_connect (const char *host, int port, GError **error);
/* After EPOLLOUT on a connecting socket: FALSE with @error if it failed. */
gboolean bench_connect_done (int fd, GError **error);
/* Closes with RST (SO_LINGER 0): churn tests leave no TIME_WAIT behind. */
void bench_close_hard (int fd);

/* ---- Time, processes, statistics -------------------------------------------- */

gint64 bench_now_us (void);
/* VmRSS of @pid in KiB, -1 if unreadable. */
gint64 bench_proc_rss_kib (int pid);
/* utime + stime of @pid in seconds, -1 if unreadable. */
double bench_proc_cpu_s (int pid);
/* The same per thread name (summed over threads of one name): a table
 * name → double*, NULL if unreadable. */
GHashTable *bench_proc_threads_cpu (int pid);
/* "net:0.62,store:0.21": the CPU share of each thread of @pid between two
 * readings over @secs (threads under 1 % left out). */
char *bench_threads_share (GHashTable *before, GHashTable *after, double secs);
/* CPU seconds used by this process so far. */
double bench_self_cpu_s (void);
typedef struct {
  GArray *us;               /* guint32 latencies in microseconds */
  gboolean sorted;
} BenchLatency;

void bench_latency_init (BenchLatency *l);
void bench_latency_clear (BenchLatency *l);
void bench_latency_add (BenchLatency *l, gint64 us);
/* @p in [0, 100]; milliseconds; 0 if empty. */
double bench_latency_ms (BenchLatency *l, double p);

/* The message text: "SEQ(hex8) T(hex16) " then 'x' up to @size bytes
 * (@size >= BENCH_TEXT_MIN).  @buf holds @size + 1 bytes. */
#define BENCH_TEXT_MIN 27
void bench_text_fill (char *buf, gsize size, guint32 seq, gint64 t_us);
gboolean bench_text_parse (const char *text, gsize len, guint32 *seq, gint64 *t_us);

/* "u00042" */
char *bench_user_name (const BenchOptions *o, guint index);
/* Parses a name made by bench_user_name(); -1 if it is not one. */
gint64 bench_user_index (const BenchOptions *o, const char *name, gsize len);

/* Prints "RESULT k=v ..." (one line, flushed). */
void bench_result (const char *format, ...) G_GNUC_PRINTF (1, 2);
void bench_note (const char *format, ...) G_GNUC_PRINTF (1, 2);

/* ---- The relay driver, common to every target ------------------------------------- */

typedef struct _BenchRelay BenchRelay;

typedef struct {
  /* Queues message @seq of pair @pair; FALSE if the sender is gone. */
  gboolean (*send) (gpointer target, guint pair, guint32 seq, const char *text, gsize len);
  /* Writes everything queued since the last call. */
  void (*flush) (gpointer target);
  /* Runs the loop once, at most @timeout_ms. */
  void (*iterate) (gpointer target, int timeout_ms);
  /* Failed connections so far. */
  guint (*failures) (gpointer target);
} BenchRelayTarget;

BenchRelay *bench_relay_new (const BenchOptions *o, guint n_pairs, gboolean needs_ack,
                             const BenchRelayTarget *target, gpointer target_data);
void bench_relay_free (BenchRelay *relay);
/* From the targets: */
void bench_relay_acked (BenchRelay *relay, guint pair, guint32 seq);
void bench_relay_received (BenchRelay *relay, guint pair, guint32 seq, gint64 sent_us);
/* Runs the workload and prints one RESULT line with @label.  FALSE on failure. */
gboolean bench_relay_run (BenchRelay *relay, const char *label);

/* ---- A TLS stream on the loop (echo, bare handshakes, IRC) ------------------------ */

typedef struct {
  BenchIo io;
  gnutls_session_t session;
  gboolean connected;       /* TCP connect finished */
  gboolean handshaken;
  GByteArray *out;          /* plaintext not yet taken by gnutls_record_send */
  gsize out_off;
  gsize inflight;           /* size of a send that returned EAGAIN */
  gsize max_record;         /* largest record to send; 0 = 16 KiB */
} BenchTls;

typedef void (*BenchTlsReadFunc) (gpointer data, const guint8 *bytes, gsize len);

/* 1 once the handshake is done, 0 while it runs, -1 and @error if it failed. */
int bench_tls_handshake (BenchTls *t, GError **error);
/* Reads what is available (bounded) into @func.  FALSE and @error (NULL at
 * a clean end of stream) when the stream is over. */
gboolean bench_tls_read (BenchTls *t, BenchTlsReadFunc func, gpointer data, GError **error);
void bench_tls_queue (BenchTls *t, const void *bytes, gsize len);
gboolean bench_tls_flush (BenchTls *t, GError **error);
/* The epoll mask the stream needs now. */
guint32 bench_tls_mask (BenchTls *t);
/* TRUE when GnuTLS holds decrypted input the socket will not signal. */
gboolean bench_tls_pending (BenchTls *t);
/* Deinits the session and closes the socket with RST. */
void bench_tls_clear (BenchTls *t);

/* ---- Churn: connections set up and dropped for a while ------------------------------ */

typedef struct {
  const BenchOptions *o;
  guint worker;
  guint n_workers;
  int concurrency;          /* this worker's share */
  gint64 t_warm;            /* count completions from here ... */
  gint64 t_end;             /* ... to here */
  guint64 count;
  guint failures;
  BenchLatency lat;
} BenchChurn;

/* Runs until @w->t_end, counting in @w->count (and @w->lat) what completes
 * after @w->t_warm. */
typedef void (*BenchChurnFunc) (BenchChurn *w);

/* Runs @func on o->threads threads (each its own epoll set) for
 * o->duration seconds and prints one RESULT line (test=@test). */
int bench_churn_run (const BenchOptions *o, const char *test, const char *target,
                     BenchChurnFunc func);

/* ---- Subcommands -------------------------------------------------------------------- */

/* bench-cz.c */
int bench_cz_relay (const BenchOptions *o);
int bench_cz_logins (const BenchOptions *o);
int bench_cz_idle (const BenchOptions *o);
/* bench-irc.c */
int bench_irc_relay (const BenchOptions *o);
int bench_irc_idle (const BenchOptions *o);
/* bench-tls.c */
int bench_tls_server (const char *cert, const char *key, const char *bind, int port,
                      gboolean forward);
int bench_tls_forward (const BenchOptions *o);
int bench_tls_handshakes (const BenchOptions *o);
int bench_tls_echo (const BenchOptions *o);
/* bench-setup.c */
int bench_make_users (const char *db, const char *prefix, int count, const char *password,
                      int iterations);
int bench_dh_params (const char *out);
int bench_free_port (void);

/* A TLS client config trusting @o->ca_file (causerie's own settings). */
CzTlsClientConfig *bench_tls_client_config (const BenchOptions *o, GError **error);

G_END_DECLS
