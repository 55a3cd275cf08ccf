/* bench-setup.c: what the runs need before they start: bench users in the
 * server's database (through the store API), Diffie-Hellman parameters for
 * ngIRCd, and a free port for servers that cannot take port 0. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <glib/gi18n-lib.h>

#include "bench.h"
#include "cz-error.h"
#include "cz-store.h"
#include "cz-scram.h"
#include "cz-util.h"

typedef struct {
  GMutex lock;
  GCond cond;
  guint done;
  guint failed;
  char *first_error;
} UsersWait;

static void
user_added_cb (CzStoreOp *op, gpointer user_data)
{
  UsersWait *w = user_data;

  g_mutex_lock (&w->lock);
  if (op->error && !g_error_matches (op->error, CZ_ERROR, CZ_ERROR_USER_EXISTS))
    {
      w->failed++;
      if (w->first_error == NULL)
        w->first_error = g_strdup (op->error->message);
    }
  w->done++;
  g_cond_signal (&w->cond);
  g_mutex_unlock (&w->lock);
  cz_store_op_free (op);
}

/* Every bench user gets the same password and the same salt, so that the
 * client derives one SaltedPassword (PBKDF2) for the whole run, as a real
 * client caches its own; the server still checks a full SCRAM exchange for
 * each login. */
int
bench_make_users (const char *db, const char *prefix, int count, const char *password,
                  int iterations)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzStore) store = NULL;
  g_autoptr(GBytes) salt = cz_scram_new_salt ();
  g_auto(CzScramCredentials) creds = { 0 };
  UsersWait w = { 0 };
  gint64 t0 = bench_now_us ();

  if (db == NULL || count <= 0 || password == NULL)
    {
      bench_note (_("mkusers needs --db, --count and --password"));
      return 2;
    }
  store = cz_store_open (db, &error);
  if (store == NULL)
    {
      bench_note ("%s", error->message);
      return 1;
    }
  g_assert_true (cz_scram_credentials_from_password (&creds, password, salt, iterations, NULL));
  g_mutex_init (&w.lock);
  g_cond_init (&w.cond);
  for (int i = 0; i < count; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s%05d", prefix, i);
      CzStoreAddUser *op = cz_store_add_user_new (name);

      op->creds.salt = g_bytes_ref (creds.salt);
      op->creds.iterations = creds.iterations;
      memcpy (op->creds.stored_key, creds.stored_key, 32);
      memcpy (op->creds.server_key, creds.server_key, 32);
      op->op.done = user_added_cb;
      op->op.user_data = &w;
      cz_store_submit (store, &op->op);
    }
  g_mutex_lock (&w.lock);
  while (w.done < (guint) count)
    g_cond_wait (&w.cond, &w.lock);
  g_mutex_unlock (&w.lock);
  cz_store_close (store);
  g_mutex_clear (&w.lock);
  g_cond_clear (&w.cond);
  if (w.failed > 0)
    {
      bench_note (_("%u users could not be added: %s"), w.failed, w.first_error);
      g_free (w.first_error);
      return 1;
    }
  bench_note (_("%d users ready in %s (%.2f s, %u transactions)"), count, db,
              (bench_now_us () - t0) / (double) G_USEC_PER_SEC, cz_store_get_batch_count (store));
  return 0;
}

/* RFC 7919 ffdhe2048 as PKCS#3 PEM: ngIRCd wants a DHFile and would
 * otherwise generate parameters at start-up. */
int
bench_dh_params (const char *out)
{
  gnutls_dh_params_t params = NULL;
  gnutls_datum_t pem = { NULL, 0 };
  g_autoptr(GError) error = NULL;
  int ret;

  if (out == NULL)
    {
      bench_note (_("dhparams needs --out"));
      return 2;
    }
  if ((ret = gnutls_dh_params_init (&params)) < 0
      || (ret = gnutls_dh_params_import_raw2 (params, &gnutls_ffdhe_2048_group_prime,
                                              &gnutls_ffdhe_2048_group_generator,
                                              gnutls_ffdhe_2048_key_bits)) < 0
      || (ret = gnutls_dh_params_export2_pkcs3 (params, GNUTLS_X509_FMT_PEM, &pem)) < 0)
    {
      bench_note (_("DH parameters: %s"), gnutls_strerror (ret));
      if (params)
        gnutls_dh_params_deinit (params);
      return 1;
    }
  gnutls_dh_params_deinit (params);
  if (!cz_write_file_atomic (out, pem.data, pem.size, 0644, &error))
    {
      bench_note ("%s", error->message);
      gnutls_free (pem.data);
      return 1;
    }
  gnutls_free (pem.data);
  return 0;
}

int
bench_free_port (void)
{
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof sin;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0 || bind (fd, (struct sockaddr *) &sin, sizeof sin) < 0
      || getsockname (fd, (struct sockaddr *) &sin, &len) < 0)
    {
      bench_note (_("cannot find a free port: %s"), g_strerror (errno));
      return 1;
    }
  printf ("%u\n", ntohs (sin.sin_port));
  close (fd);
  return 0;
}
