/* bench-relay.c: the relay workload, the same for every target.
 *
 * Senders and recipients come in pairs (a → b).  A message counts as
 * relayed once the recipient has it and, where the protocol acknowledges
 * (causerie), the sender has its acknowledgement.  Latency is the time from
 * queueing the message at the sender to its arrival at the recipient.
 *
 * Closed loop (rate 0): every sender keeps up to `window` messages
 * outstanding until `messages` in all were relayed; the rate is
 * messages ÷ elapsed time.  Open loop (rate R): messages leave at R per
 * second in all, round-robin over the senders, for `warmup` seconds and
 * then a measurement window of `duration` seconds.  Everything the RESULT
 * line reports for an open-loop run is read over that window only: the
 * messages completed in it, the server's CPU (utime + stime of all its
 * threads, /proc/PID/stat) and the generator's own (getrusage), latencies
 * of messages that arrived in it.  A run whose generator used more than
 * 0.9 of a core, or that completed less than 95 % of what was offered, is
 * marked valid=0: then the generator or the server was the limit, and the
 * per-message CPU is not the server's cost at that rate. */
#include "config.h"

#include <string.h>
#include <math.h>

#include <glib/gi18n-lib.h>

#include "bench.h"

#define FLAG_ACKED 1
#define FLAG_RECEIVED 2
#define DRAIN_US (15 * G_USEC_PER_SEC)

struct _BenchRelay {
  const BenchOptions *o;
  guint n_pairs;
  gboolean needs_ack;
  const BenchRelayTarget *t;
  gpointer td;

  GByteArray **flags;       /* per pair, per seq */
  guint32 *sent;            /* per pair */
  guint32 *done;            /* per pair */
  guint32 *quota;           /* per pair (closed loop) */
  guint64 total_sent;
  guint64 total_done;
  guint64 anomalies;        /* duplicate or unknown acks / messages */
  guint rr;                 /* open loop: next sender */
  gboolean measuring;       /* open loop: inside the window (latencies count) */
  BenchLatency lat;
  char *text;
};

BenchRelay *
bench_relay_new (const BenchOptions *o, guint n_pairs, gboolean needs_ack,
                 const BenchRelayTarget *target, gpointer target_data)
{
  BenchRelay *self = g_new0 (BenchRelay, 1);

  self->o = o;
  self->n_pairs = n_pairs;
  self->needs_ack = needs_ack;
  self->t = target;
  self->td = target_data;
  self->flags = g_new0 (GByteArray *, n_pairs);
  self->sent = g_new0 (guint32, n_pairs);
  self->done = g_new0 (guint32, n_pairs);
  self->quota = g_new0 (guint32, n_pairs);
  for (guint p = 0; p < n_pairs; p++)
    {
      self->flags[p] = g_byte_array_new ();
      self->quota[p] = o->messages / n_pairs + (p < (guint) o->messages % n_pairs ? 1 : 0);
    }
  bench_latency_init (&self->lat);
  self->text = g_malloc (MAX (o->size, BENCH_TEXT_MIN) + 1);
  return self;
}

void
bench_relay_free (BenchRelay *self)
{
  if (self == NULL)
    return;
  for (guint p = 0; p < self->n_pairs; p++)
    g_byte_array_unref (self->flags[p]);
  g_free (self->flags);
  g_free (self->sent);
  g_free (self->done);
  g_free (self->quota);
  bench_latency_clear (&self->lat);
  g_free (self->text);
  g_free (self);
}

static void
mark (BenchRelay *self, guint pair, guint32 seq, guint8 flag)
{
  guint8 *f;
  guint8 complete = self->needs_ack ? (FLAG_ACKED | FLAG_RECEIVED) : FLAG_RECEIVED;

  if (pair >= self->n_pairs || seq >= self->sent[pair])
    {
      self->anomalies++;
      return;
    }
  f = &self->flags[pair]->data[seq];
  if (*f & flag)
    {
      self->anomalies++;
      return;
    }
  *f |= flag;
  if ((*f & complete) == complete)
    {
      self->done[pair]++;
      self->total_done++;
    }
}

void
bench_relay_acked (BenchRelay *self, guint pair, guint32 seq)
{
  mark (self, pair, seq, FLAG_ACKED);
}

void
bench_relay_received (BenchRelay *self, guint pair, guint32 seq, gint64 sent_us)
{
  if (self->measuring || self->o->rate <= 0)
    bench_latency_add (&self->lat, bench_now_us () - sent_us);
  mark (self, pair, seq, FLAG_RECEIVED);
}

static gboolean
send_one (BenchRelay *self, guint pair)
{
  static const guint8 zero = 0;
  guint32 seq = self->sent[pair];
  gsize size = MAX (self->o->size, BENCH_TEXT_MIN);

  bench_text_fill (self->text, size, seq, bench_now_us ());
  g_byte_array_append (self->flags[pair], &zero, 1);
  self->sent[pair]++;
  self->total_sent++;
  return self->t->send (self->td, pair, seq, self->text, size);
}

/* Closed loop: fill every sender's window. */
static gboolean
pump_closed (BenchRelay *self)
{
  for (guint p = 0; p < self->n_pairs; p++)
    while (self->sent[p] < self->quota[p]
           && self->sent[p] - self->done[p] < (guint32) self->o->window)
      if (!send_one (self, p))
        return FALSE;
  return TRUE;
}

/* Open loop: what the clock says is due, round-robin; a sender whose window
 * is full is skipped (and the message goes to the next one). */
static gboolean
pump_open (BenchRelay *self, gint64 t0, gint64 now)
{
  guint64 due = (guint64) ((double) (now - t0) * self->o->rate / G_USEC_PER_SEC);

  while (self->total_sent < due)
    {
      guint tried = 0;

      while (tried < self->n_pairs
             && self->sent[self->rr] - self->done[self->rr] >= (guint32) self->o->window)
        {
          self->rr = (self->rr + 1) % self->n_pairs;
          tried++;
        }
      if (tried == self->n_pairs)
        break;   /* every window is full: the target is saturated */
      if (!send_one (self, self->rr))
        return FALSE;
      self->rr = (self->rr + 1) % self->n_pairs;
    }
  return TRUE;
}

gboolean
bench_relay_run (BenchRelay *self, const char *label)
{
  const BenchOptions *o = self->o;
  gboolean open_loop = o->rate > 0;
  gint64 t0 = bench_now_us ();
  gint64 hard_end = t0 + (gint64) (o->timeout * G_USEC_PER_SEC);
  gint64 t_warm = t0 + (gint64) (MAX (o->warmup, 0) * G_USEC_PER_SEC);
  gint64 send_end = t_warm + (gint64) (o->duration * G_USEC_PER_SEC);
  /* The window's readings (open loop). */
  gboolean warm = FALSE, closed_window = FALSE;
  guint64 done_w0 = 0, done_w1 = 0;
  double cpu_w0 = -1, cpu_w1 = -1, self_w0 = 0, self_w1 = 0;
  gint64 tw0 = 0, tw1 = 0;
  gint64 last_progress = t0, now, t_end;
  guint64 last_done = 0;
  double cpu0 = bench_proc_cpu_s (o->server_pid), cpu1;
  double self0 = bench_self_cpu_s ();
  g_autoptr(GHashTable) threads0 = bench_proc_threads_cpu (o->server_pid);
  g_autoptr(GHashTable) threads1 = NULL;
  gboolean ok = TRUE;

  if (hard_end < send_end + DRAIN_US)
    hard_end = send_end + DRAIN_US;

  for (;;)
    {
      int timeout;

      now = bench_now_us ();
      if (open_loop && !warm && now >= t_warm)
        {
          warm = TRUE;
          self->measuring = TRUE;
          tw0 = now;
          done_w0 = self->total_done;
          cpu_w0 = bench_proc_cpu_s (o->server_pid);
          self_w0 = bench_self_cpu_s ();
          g_clear_pointer (&threads0, g_hash_table_unref);
          threads0 = bench_proc_threads_cpu (o->server_pid);
        }
      if (open_loop && warm && !closed_window && now >= send_end)
        {
          closed_window = TRUE;
          self->measuring = FALSE;
          tw1 = now;
          done_w1 = self->total_done;
          cpu_w1 = bench_proc_cpu_s (o->server_pid);
          self_w1 = bench_self_cpu_s ();
          threads1 = bench_proc_threads_cpu (o->server_pid);
        }
      if (open_loop ? (now >= send_end && self->total_done == self->total_sent)
                    : self->total_done >= (guint64) o->messages)
        break;
      if (now > hard_end || now - last_progress > DRAIN_US)
        {
          bench_note (_("%s: stalled or out of time: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                        " messages relayed"), label, self->total_done,
                      open_loop ? self->total_sent : (guint64) o->messages);
          ok = FALSE;
          break;
        }
      if (self->t->failures (self->td) > 0)
        {
          bench_note (_("%s: %u connections failed during the run"), label,
                      self->t->failures (self->td));
          ok = FALSE;
          break;
        }
      if (open_loop && now < send_end)
        ok = pump_open (self, t0, now);
      else if (!open_loop)
        ok = pump_closed (self);
      if (!ok)
        {
          bench_note (_("%s: a sender is gone"), label);
          break;
        }
      self->t->flush (self->td);
      if (self->total_done != last_done)
        {
          last_done = self->total_done;
          last_progress = now;
        }
      if (open_loop && now < send_end)
        timeout = MAX (1, (int) ceil (1000.0 / o->rate));
      else
        timeout = 50;
      self->t->iterate (self->td, MIN (timeout, 50));
    }
  t_end = bench_now_us ();
  cpu1 = bench_proc_cpu_s (o->server_pid);
  if (threads1 == NULL)
    threads1 = bench_proc_threads_cpu (o->server_pid);

  if (open_loop)
    {
      double secs = closed_window ? (tw1 - tw0) / (double) G_USEC_PER_SEC : 0;
      guint64 n = done_w1 - done_w0;
      g_autofree char *threads = secs > 0 ? bench_threads_share (threads0, threads1, secs)
                                          : g_strdup ("-");
      double server_cpu = (cpu_w0 >= 0 && cpu_w1 >= 0) ? cpu_w1 - cpu_w0 : -1.0;
      double gen = secs > 0 ? (self_w1 - self_w0) / secs : -1.0;
      double rate = secs > 0 ? n / secs : 0;
      gboolean valid = ok && closed_window && gen >= 0 && gen <= 0.9 && self->anomalies == 0;
      gboolean sustained = rate >= 0.95 * o->rate;

      bench_result ("test=relay target=%s clients=%d size=%d window=%d offered=%.0f"
                    " warmup=%.1f messages=%" G_GUINT64_FORMAT " seconds=%.3f rate=%.1f"
                    " p50_ms=%.3f p99_ms=%.3f max_ms=%.3f server_cpu=%.3f server_us_per_msg=%.2f"
                    " server_threads=%s bench_cpu=%.3f bench_us_per_msg=%.2f"
                    " server_rss_kib=%" G_GINT64_FORMAT " anomalies=%" G_GUINT64_FORMAT
                    " valid=%d sustained=%d ok=%d",
                    label, o->clients, MAX (o->size, BENCH_TEXT_MIN), o->window, o->rate,
                    o->warmup, n, secs, rate,
                    bench_latency_ms (&self->lat, 50), bench_latency_ms (&self->lat, 99),
                    bench_latency_ms (&self->lat, 100),
                    server_cpu >= 0 && secs > 0 ? server_cpu / secs : -1.0,
                    server_cpu >= 0 && n ? server_cpu * 1e6 / n : -1.0,
                    threads, gen, gen >= 0 && n ? gen * secs * 1e6 / n : -1.0,
                    bench_proc_rss_kib (o->server_pid), self->anomalies, valid, sustained, ok);
      return ok && self->anomalies == 0;
    }

  {
    double secs = (t_end - t0) / (double) G_USEC_PER_SEC;
    g_autofree char *threads = bench_threads_share (threads0, threads1, secs);
    double server_cpu = (cpu0 >= 0 && cpu1 >= 0) ? cpu1 - cpu0 : -1.0;
    double rate = open_loop ? self->total_done / MIN (secs, MAX (o->duration, 1e-3))
                            : self->total_done / secs;
    /* In open loop the sending lasts `duration`; the drain after is not
     * counted in the rate. */
    bench_result ("test=relay target=%s clients=%d size=%d window=%d offered=%.0f"
                  " messages=%" G_GUINT64_FORMAT " seconds=%.3f rate=%.1f"
                  " p50_ms=%.3f p99_ms=%.3f max_ms=%.3f server_cpu=%.2f server_us_per_msg=%.1f"
                  " server_threads=%s bench_cpu=%.2f server_rss_kib=%" G_GINT64_FORMAT
                  " anomalies=%" G_GUINT64_FORMAT " ok=%d",
                  label, o->clients, MAX (o->size, BENCH_TEXT_MIN), o->window, o->rate,
                  self->total_done, secs, rate,
                  bench_latency_ms (&self->lat, 50), bench_latency_ms (&self->lat, 99),
                  bench_latency_ms (&self->lat, 100),
                  server_cpu >= 0 ? server_cpu / secs : -1.0,
                  server_cpu >= 0 && self->total_done ? server_cpu * 1e6 / self->total_done : -1.0,
                  threads, (bench_self_cpu_s () - self0) / secs,
                  bench_proc_rss_kib (o->server_pid), self->anomalies, ok);
  }
  return ok && self->anomalies == 0;
}
