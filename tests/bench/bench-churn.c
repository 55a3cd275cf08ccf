/* bench-churn.c: set-up rates (bare TLS handshakes, causerie logins).
 *
 * Each worker thread keeps its share of `concurrency` set-ups in flight on
 * its own epoll set, drops each connection once it is set up and starts
 * another.  Completions are counted after a warm-up (a fifth of the
 * duration, one second at most); the server's CPU is read over the same
 * window, so that the server's cost per set-up is known even when the
 * generator, not the server, is the bottleneck. */
#include "config.h"

#include "bench.h"

typedef struct {
  BenchChurn work;
  BenchChurnFunc func;
} Worker;

static gpointer
worker_thread (gpointer data)
{
  Worker *w = data;

  w->func (&w->work);
  return NULL;
}

static void
sleep_until (gint64 t)
{
  gint64 now = bench_now_us ();

  if (t > now)
    g_usleep (t - now);
}

int
bench_churn_run (const BenchOptions *o, const char *test, const char *target,
                 BenchChurnFunc func)
{
  guint n = (guint) o->threads;
  g_autofree Worker *workers = g_new0 (Worker, n);
  g_autofree GThread **threads = g_new0 (GThread *, n);
  gint64 t0 = bench_now_us ();
  gint64 t_warm = t0 + (gint64) (MIN (1.0, o->duration / 5) * G_USEC_PER_SEC);
  gint64 t_end = t0 + (gint64) (o->duration * G_USEC_PER_SEC);
  g_autoptr(GHashTable) threads0 = NULL;
  g_autoptr(GHashTable) threads1 = NULL;
  g_autofree char *shares = NULL;
  BenchLatency lat;
  guint64 count = 0;
  guint failures = 0;
  double cpu0, cpu1, self0, self1, secs;

  for (guint i = 0; i < n; i++)
    {
      BenchChurn *w = &workers[i].work;

      w->o = o;
      w->worker = i;
      w->n_workers = n;
      w->concurrency = MAX (1, (o->concurrency + (int) n - 1 - (int) i) / (int) n);
      w->t_warm = t_warm;
      w->t_end = t_end;
      bench_latency_init (&w->lat);
      workers[i].func = func;
      threads[i] = g_thread_new ("bench-worker", worker_thread, &workers[i]);
    }
  sleep_until (t_warm);
  cpu0 = bench_proc_cpu_s (o->server_pid);
  threads0 = bench_proc_threads_cpu (o->server_pid);
  self0 = bench_self_cpu_s ();
  sleep_until (t_end);
  cpu1 = bench_proc_cpu_s (o->server_pid);
  threads1 = bench_proc_threads_cpu (o->server_pid);
  self1 = bench_self_cpu_s ();
  secs = (bench_now_us () - t_warm) / (double) G_USEC_PER_SEC;

  bench_latency_init (&lat);
  for (guint i = 0; i < n; i++)
    {
      BenchChurn *w = &workers[i].work;

      g_thread_join (threads[i]);
      count += w->count;
      failures += w->failures;
      g_array_append_vals (lat.us, w->lat.us->data, w->lat.us->len);
      bench_latency_clear (&w->lat);
    }
  shares = bench_threads_share (threads0, threads1, secs);
  bench_result ("test=%s target=%s concurrency=%d threads=%u seconds=%.3f count=%" G_GUINT64_FORMAT
                " rate=%.1f p50_ms=%.3f p99_ms=%.3f server_cpu=%.2f server_cpu_ms_per_op=%.3f"
                " server_threads=%s bench_cpu=%.2f failures=%u ok=%d",
                test, target, o->concurrency, n, secs, count, count / secs,
                bench_latency_ms (&lat, 50), bench_latency_ms (&lat, 99),
                (cpu0 >= 0 && cpu1 >= 0) ? (cpu1 - cpu0) / secs : -1.0,
                (cpu0 >= 0 && cpu1 >= 0 && count) ? (cpu1 - cpu0) * 1000.0 / count : -1.0,
                shares, (self1 - self0) / secs, failures, failures == 0 && count > 0);
  bench_latency_clear (&lat);
  return failures == 0 && count > 0 ? 0 : 1;
}
