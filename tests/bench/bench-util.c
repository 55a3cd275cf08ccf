/* bench-util.c: the epoll loop, sockets, /proc readings, latency
 * percentiles and the message text of causerie-bench. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netdb.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <glib/gi18n-lib.h>

#include "bench.h"
#include "cz-error.h"

#define MAX_EVENTS 512

static __thread int epoll_fd = -1;

/* ---- The loop ---------------------------------------------------------------- */

void
bench_loop_init (void)
{
  if (epoll_fd < 0)
    epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  if (epoll_fd < 0)
    g_error ("epoll_create1: %s", g_strerror (errno));
}

void
bench_loop_watch (BenchIo *io, guint32 mask)
{
  struct epoll_event ev = { .events = mask, .data.ptr = io };
  int op;

  if (mask == io->mask)
    return;
  if (mask == 0)
    op = EPOLL_CTL_DEL;
  else if (io->mask == 0)
    op = EPOLL_CTL_ADD;
  else
    op = EPOLL_CTL_MOD;
  if (epoll_ctl (epoll_fd, op, io->fd, &ev) < 0 && mask != 0)
    g_warning ("epoll_ctl (%d): %s", io->fd, g_strerror (errno));
  io->mask = mask;
}

int
bench_loop_iterate (int timeout_ms)
{
  struct epoll_event events[MAX_EVENTS];
  int n = epoll_wait (epoll_fd, events, MAX_EVENTS, timeout_ms);

  for (int i = 0; i < n; i++)
    {
      BenchIo *io = events[i].data.ptr;
      io->func (io, events[i].events);
    }
  return MAX (n, 0);
}

/* ---- Sockets -------------------------------------------------------------------- */

int
bench_connect (const char *host, int port, GError **error)
{
  struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
                            .ai_socktype = SOCK_STREAM };
  struct addrinfo *res = NULL;
  char service[16];
  int fd, one = 1;

  g_snprintf (service, sizeof service, "%d", port);
  if (getaddrinfo (host, service, &hints, &res) != 0)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_INVALID, _("“%s” is not an IP address"), host);
      return -1;
    }
  fd = socket (res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved = errno;
      freeaddrinfo (res);
      g_set_error (error, CZ_ERROR, CZ_ERROR_IO, _("cannot create a socket: %s"),
                   g_strerror (saved));
      return -1;
    }
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  /* To a loopback IPv4 server, connections come from 1,000 loopback
   * addresses in turn (127.1.0.1 ...): the server allows a few logins in
   * flight per address (doc/security.md §5.3), the bench keeps 32. */
  if (res->ai_family == AF_INET
      && (ntohl (((struct sockaddr_in *) res->ai_addr)->sin_addr.s_addr) >> 24) == 127)
    {
      static gint next_source;
      guint n = (guint) g_atomic_int_add (&next_source, 1) % 1000;
      struct sockaddr_in src = { .sin_family = AF_INET };

      src.sin_addr.s_addr = htonl ((127u << 24) | (1u << 16) | ((n / 250) << 8) | (n % 250 + 1));
#ifdef IP_BIND_ADDRESS_NO_PORT
      setsockopt (fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
      if (bind (fd, (struct sockaddr *) &src, sizeof src) < 0)
        {
          int saved = errno;
          freeaddrinfo (res);
          close (fd);
          g_set_error (error, CZ_ERROR, CZ_ERROR_IO, _("cannot bind to a loopback source address: %s"),
                       g_strerror (saved));
          return -1;
        }
    }
  if (connect (fd, res->ai_addr, res->ai_addrlen) < 0 && errno != EINPROGRESS)
    {
      int saved = errno;
      freeaddrinfo (res);
      close (fd);
      g_set_error (error, CZ_ERROR, CZ_ERROR_IO, _("cannot connect to %s:%d: %s"),
                   host, port, g_strerror (saved));
      return -1;
    }
  freeaddrinfo (res);
  return fd;
}

gboolean
bench_connect_done (int fd, GError **error)
{
  int err = 0;
  socklen_t len = sizeof err;

  if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
    err = errno;
  if (err != 0)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_IO, _("cannot connect: %s"), g_strerror (err));
      return FALSE;
    }
  return TRUE;
}

void
bench_close_hard (int fd)
{
  struct linger lin = { .l_onoff = 1, .l_linger = 0 };

  if (fd < 0)
    return;
  setsockopt (fd, SOL_SOCKET, SO_LINGER, &lin, sizeof lin);
  close (fd);
}

/* ---- Time and processes ----------------------------------------------------------- */

gint64
bench_now_us (void)
{
  return g_get_monotonic_time ();
}

gint64
bench_proc_rss_kib (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *text = NULL;
  const char *line;

  if (pid <= 0 || !g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  line = strstr (text, "\nVmRSS:");
  if (line == NULL)
    return -1;
  return g_ascii_strtoll (line + strlen ("\nVmRSS:"), NULL, 10);
}

static double
stat_cpu_s (const char *path, char **comm)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *open_paren, *after;
  long ticks = sysconf (_SC_CLK_TCK);

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  open_paren = strchr (text, '(');
  after = strrchr (text, ')');
  if (open_paren == NULL || after == NULL || after < open_paren)
    return -1;
  if (comm)
    *comm = g_strndup (open_paren + 1, after - open_paren - 1);
  fields = g_strsplit (after + 2, " ", 0);
  if (g_strv_length (fields) < 13)
    return -1;
  return (double) (g_ascii_strtoull (fields[11], NULL, 10)
                   + g_ascii_strtoull (fields[12], NULL, 10)) / (double) ticks;
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

GHashTable *
bench_proc_threads_cpu (int pid)
{
  g_autofree char *dir_path = g_strdup_printf ("/proc/%d/task", pid);
  g_autoptr(GDir) dir = pid > 0 ? g_dir_open (dir_path, 0, NULL) : NULL;
  GHashTable *table;
  const char *name;

  if (dir == NULL)
    return NULL;
  table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s/stat", dir_path, name);
      char *comm = NULL;
      double s = stat_cpu_s (path, &comm);
      double *sum;

      if (s < 0)
        {
          g_free (comm);
          continue;
        }
      sum = g_hash_table_lookup (table, comm);
      if (sum == NULL)
        {
          sum = g_new0 (double, 1);
          g_hash_table_insert (table, comm, sum);
        }
      else
        g_free (comm);
      *sum += s;
    }
  return table;
}

char *
bench_threads_share (GHashTable *before, GHashTable *after, double secs)
{
  GString *out = g_string_new (NULL);
  g_autofree gpointer *names = NULL;
  guint n = 0;

  if (before == NULL || after == NULL || secs <= 0)
    return g_strdup ("-");
  names = g_hash_table_get_keys_as_array (after, &n);
  qsort (names, n, sizeof (gpointer), compare_names);
  for (guint i = 0; i < n; i++)
    {
      const double *a = g_hash_table_lookup (after, names[i]);
      const double *b = g_hash_table_lookup (before, names[i]);
      double share = (*a - (b ? *b : 0)) / secs;
      g_autofree char *clean = g_strdelimit (g_strdup (names[i]), " ,=:", '_');

      if (share < 0.01)
        continue;
      g_string_append_printf (out, "%s%s:%.2f", out->len ? "," : "", clean, share);
    }
  if (out->len == 0)
    g_string_append (out, "-");
  return g_string_free (out, FALSE);
}

double
bench_self_cpu_s (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec
         + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double
bench_proc_cpu_s (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);

  if (pid <= 0)
    return -1;
  return stat_cpu_s (path, NULL);
}

/* ---- Latency --------------------------------------------------------------------------- */

void
bench_latency_init (BenchLatency *l)
{
  l->us = g_array_sized_new (FALSE, FALSE, sizeof (guint32), 1 << 16);
  l->sorted = FALSE;
}

void
bench_latency_clear (BenchLatency *l)
{
  g_clear_pointer (&l->us, g_array_unref);
}

void
bench_latency_add (BenchLatency *l, gint64 us)
{
  guint32 v = (guint32) CLAMP (us, 0, G_MAXUINT32);

  g_array_append_val (l->us, v);
  l->sorted = FALSE;
}

static int
compare_u32 (const void *a, const void *b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;
  return x < y ? -1 : x > y;
}

double
bench_latency_ms (BenchLatency *l, double p)
{
  guint idx;

  if (l->us->len == 0)
    return 0;
  if (!l->sorted)
    {
      qsort (l->us->data, l->us->len, sizeof (guint32), compare_u32);
      l->sorted = TRUE;
    }
  /* Nearest rank. */
  idx = (guint) MIN ((double) l->us->len - 1, (p / 100.0) * l->us->len);
  return g_array_index (l->us, guint32, idx) / 1000.0;
}

/* ---- Text and names ---------------------------------------------------------------------- */

void
bench_text_fill (char *buf, gsize size, guint32 seq, gint64 t_us)
{
  int n;

  g_assert (size >= BENCH_TEXT_MIN);
  n = g_snprintf (buf, size + 1, "%08x %016" G_GINT64_MODIFIER "x ", seq, t_us);
  memset (buf + n, 'x', size - n);
  buf[size] = '\0';
}

gboolean
bench_text_parse (const char *text, gsize len, guint32 *seq, gint64 *t_us)
{
  char tmp[17];

  if (len < 26 || text[8] != ' ' || text[25] != ' ')
    return FALSE;
  memcpy (tmp, text, 8);
  tmp[8] = '\0';
  *seq = (guint32) g_ascii_strtoull (tmp, NULL, 16);
  memcpy (tmp, text + 9, 16);
  tmp[16] = '\0';
  *t_us = (gint64) g_ascii_strtoull (tmp, NULL, 16);
  return TRUE;
}

char *
bench_user_name (const BenchOptions *o, guint index)
{
  return g_strdup_printf ("%s%05u", o->prefix, index);
}

gint64
bench_user_index (const BenchOptions *o, const char *name, gsize len)
{
  gsize plen = strlen (o->prefix);
  gint64 v = 0;

  if (len <= plen || strncmp (name, o->prefix, plen) != 0)
    return -1;
  for (gsize i = plen; i < len; i++)
    {
      if (!g_ascii_isdigit (name[i]))
        return -1;
      v = v * 10 + (name[i] - '0');
    }
  return v;
}

/* ---- Output ------------------------------------------------------------------------------------ */

void
bench_result (const char *format, ...)
{
  va_list args;
  g_autofree char *text = NULL;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  printf ("RESULT %s\n", text);
  fflush (stdout);
}

void
bench_note (const char *format, ...)
{
  va_list args;
  g_autofree char *text = NULL;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "causerie-bench: %s\n", text);
}

CzTlsClientConfig *
bench_tls_client_config (const BenchOptions *o, GError **error)
{
  CzTlsClientOptions options = { .trust = CZ_TRUST_CA, .ca_file = o->ca_file };
  g_autoptr(CzCertInfo) pinned = NULL;

  if (o->pin_cert != NULL)
    {
      /* SSH-style pin of the server's key: the client checks the
       * handshake signature but no certificate chain. */
      pinned = cz_cert_info_new_from_file (o->pin_cert, error);
      if (pinned == NULL)
        return NULL;
      options.trust = CZ_TRUST_PIN;
      options.pin = pinned->spki_sha256;
      options.ca_file = NULL;
      return cz_tls_client_config_new (&options, error);
    }
  if (o->ca_file == NULL)
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_INVALID, _("--ca is required"));
      return NULL;
    }
  return cz_tls_client_config_new (&options, error);
}
