/* cz-throttle.c: counted login attempts, exponential backoff and
 * temporary bans (cz-throttle.h). */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>

#include "cz-throttle.h"

const CzThrottlePolicy cz_throttle_pair_policy = {
  CZ_THROTTLE_FREE, CZ_THROTTLE_MAX_BACKOFF, CZ_THROTTLE_BAN_AFTER, CZ_THROTTLE_BAN,
  CZ_THROTTLE_PAIR_PENDING
};
const CzThrottlePolicy cz_throttle_addr_policy = {
  CZ_THROTTLE_ADDR_FREE, CZ_THROTTLE_MAX_BACKOFF, CZ_THROTTLE_ADDR_BAN_AFTER, CZ_THROTTLE_BAN,
  CZ_THROTTLE_ADDR_PENDING
};
const CzThrottlePolicy cz_throttle_account_policy = {
  CZ_THROTTLE_ACCOUNT_FREE, CZ_THROTTLE_ACCOUNT_MAX_WAIT, 0, 0, CZ_THROTTLE_ACCOUNT_PENDING
};

typedef struct {
  guint attempts;        /* reserved: under way or failed */
  guint pending;         /* under way */
  gint64 last_us;        /* the last reservation */
  gint64 blocked_until_us;
} Entry;

struct _CzThrottle {
  GHashTable *entries;   /* key → Entry */
};

CzThrottle *
cz_throttle_new (void)
{
  CzThrottle *self = g_new0 (CzThrottle, 1);
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return self;
}

void
cz_throttle_free (CzThrottle *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->entries);
  g_free (self);
}

static void
expire_pending (Entry *e, gint64 now_us)
{
  if (now_us - e->last_us >= (gint64) CZ_THROTTLE_PENDING_TTL * G_USEC_PER_SEC)
    e->pending = 0;
}

static gboolean
forgotten (const Entry *e, gint64 now_us)
{
  return now_us >= e->blocked_until_us
         && now_us - e->last_us >= (gint64) CZ_THROTTLE_FORGET * G_USEC_PER_SEC;
}

/* When @e may try again after its @attempts-th attempt at e->last_us. */
static gint64
next_allowed (const Entry *e, const CzThrottlePolicy *p)
{
  gint64 wait_s;

  if (e->attempts < p->free)
    return 0;
  if (p->ban_after && e->attempts >= p->ban_after)
    wait_s = p->ban;
  else
    wait_s = MIN ((gint64) 1 << MIN (e->attempts - p->free, 30), (gint64) p->max_wait);
  return e->last_us + wait_s * G_USEC_PER_SEC;
}

guint
cz_throttle_check (CzThrottle *self, const char *key, const CzThrottlePolicy *policy,
                   gint64 now_us)
{
  Entry *e = g_hash_table_lookup (self->entries, key);
  gint64 until;

  if (e == NULL)
    return 0;
  if (forgotten (e, now_us))
    {
      g_hash_table_remove (self->entries, key);
      return 0;
    }
  expire_pending (e, now_us);
  /* A ban, once earned, is kept even if a success gives attempts back. */
  until = MAX (next_allowed (e, policy), e->blocked_until_us);
  if (policy->ban_after && e->attempts >= policy->ban_after)
    e->blocked_until_us = MAX (e->blocked_until_us, until);
  if (until <= now_us)
    return e->pending >= policy->max_pending ? 1 : 0;
  /* Round up: "retry after 1 s" must really be enough. */
  return (guint) ((until - now_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
}

void
cz_throttle_reserve (CzThrottle *self, const char *key, gint64 now_us)
{
  Entry *e = g_hash_table_lookup (self->entries, key);

  if (e && forgotten (e, now_us))
    e->attempts = 0;
  if (e == NULL)
    {
      e = g_new0 (Entry, 1);
      g_hash_table_insert (self->entries, g_strdup (key), e);
    }
  expire_pending (e, now_us);
  e->attempts++;
  e->pending++;
  e->last_us = now_us;
}

void
cz_throttle_failure (CzThrottle *self, const char *key, gint64 now_us)
{
  Entry *e = g_hash_table_lookup (self->entries, key);

  if (e == NULL)
    {
      /* Forgotten by a success meanwhile: the failure counts anyway. */
      cz_throttle_reserve (self, key, now_us);
      e = g_hash_table_lookup (self->entries, key);
    }
  if (e->pending > 0)
    e->pending--;
}

void
cz_throttle_success (CzThrottle *self, const char *key, gboolean forget)
{
  Entry *e = g_hash_table_lookup (self->entries, key);

  if (e == NULL)
    return;
  if (e->pending > 0)
    e->pending--;
  if (forget)
    {
      e->attempts = e->pending;
      e->blocked_until_us = 0;
    }
  else if (e->attempts > 0)
    e->attempts--;
  if (e->attempts == 0 && e->blocked_until_us == 0)
    g_hash_table_remove (self->entries, key);
}

void
cz_throttle_expire (CzThrottle *self, gint64 now_us)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (forgotten (value, now_us))
      g_hash_table_iter_remove (&iter);
}

guint
cz_throttle_size (CzThrottle *self)
{
  return g_hash_table_size (self->entries);
}

char *
cz_throttle_address_key (const char *host)
{
  g_autofree char *bare = NULL;
  struct in6_addr a6;
  char text[INET6_ADDRSTRLEN];
  gsize len = strlen (host);

  if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
    bare = g_strndup (host + 1, len - 2);
  else
    bare = g_strdup (host);
  if (strchr (bare, ':') == NULL || inet_pton (AF_INET6, bare, &a6) != 1)
    return g_strconcat ("addr:", bare, NULL);
  if (IN6_IS_ADDR_V4MAPPED (&a6))
    {
      inet_ntop (AF_INET, &a6.s6_addr[12], text, sizeof text);
      return g_strconcat ("addr:", text, NULL);
    }
  memset (&a6.s6_addr[8], 0, 8);
  inet_ntop (AF_INET6, &a6, text, sizeof text);
  return g_strconcat ("addr:", text, "/64", NULL);
}
