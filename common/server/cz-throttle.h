/* cz-throttle.h: login throttling (DESIGN §2.5, doc/security.md §5.1–5.3).
 *
 * Each key counts login attempts: an attempt is *reserved* when its
 * auth-start is accepted (so exchanges under way count at once, across
 * connections), and stays counted when it fails or is abandoned.  A
 * success gives its own attempt back; on the keys of the account it
 * proved (cz_throttle_success() with @forget) it also forgets the failures.
 *
 * A policy says how a key's count turns into a wait: the first @free
 * attempts cost nothing; from then on each one must wait 1 s, 2 s, 4 s …
 * (up to @max_wait) after the last; at @ban_after attempts (0: never) the
 * key is banned for @ban seconds.  At most @max_pending exchanges may be
 * under way at once.  A key forgets its attempts CZ_THROTTLE_FORGET after
 * the last one.  Single-threaded (the server's engine thread). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* An (account, address) pair: backoff, then a ban of that pair only. */
#define CZ_THROTTLE_FREE 3
#define CZ_THROTTLE_MAX_BACKOFF 60       /* seconds */
#define CZ_THROTTLE_BAN_AFTER 10
#define CZ_THROTTLE_BAN 900              /* seconds */
#define CZ_THROTTLE_PAIR_PENDING 2
/* An address (IPv4, or an IPv6 /64), whatever the accounts. */
#define CZ_THROTTLE_ADDR_FREE 5
#define CZ_THROTTLE_ADDR_BAN_AFTER 20
#define CZ_THROTTLE_ADDR_PENDING 4
/* An account, from anywhere: a slowdown, never a ban (no lockout). */
#define CZ_THROTTLE_ACCOUNT_FREE 10
#define CZ_THROTTLE_ACCOUNT_MAX_WAIT 30  /* seconds */
#define CZ_THROTTLE_ACCOUNT_PENDING 4

#define CZ_THROTTLE_FORGET 900           /* seconds */
/* An exchange reserved this long ago has ended, one way or another (the
 * handshake deadline closes a connection 10 s after accept at most). */
#define CZ_THROTTLE_PENDING_TTL 15       /* seconds */

typedef struct {
  guint free;
  guint max_wait;      /* seconds */
  guint ban_after;     /* 0 = never */
  guint ban;           /* seconds */
  guint max_pending;
} CzThrottlePolicy;

extern const CzThrottlePolicy cz_throttle_pair_policy;
extern const CzThrottlePolicy cz_throttle_addr_policy;
extern const CzThrottlePolicy cz_throttle_account_policy;

typedef struct _CzThrottle CzThrottle;

CzThrottle *cz_throttle_new (void);
void cz_throttle_free (CzThrottle *throttle);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzThrottle, cz_throttle_free)

/* Seconds to wait before @key may start an attempt at @now_us (monotonic
 * µs) under @policy; 0 if it may start one now. */
guint cz_throttle_check (CzThrottle *throttle, const char *key,
                         const CzThrottlePolicy *policy, gint64 now_us);
/* An attempt starts (after cz_throttle_check() said 0 for every key). */
void cz_throttle_reserve (CzThrottle *throttle, const char *key, gint64 now_us);
/* It failed: it stays counted, it is no longer under way. */
void cz_throttle_failure (CzThrottle *throttle, const char *key, gint64 now_us);
/* It succeeded: its reservation is given back and, with @forget, the
 * key's failures are forgotten (attempts still under way stay counted). */
void cz_throttle_success (CzThrottle *throttle, const char *key, gboolean forget);
/* Drops entries that have been forgotten (call now and then). */
void cz_throttle_expire (CzThrottle *throttle, gint64 now_us);
guint cz_throttle_size (CzThrottle *throttle);

/* The throttle key of a client address ("addr:…"): IPv4 as is, IPv6 by
 * its /64 (one host usually has a whole /64); an IPv4-mapped IPv6
 * address as its IPv4.  @host may be bracketed ("[::1]"). */
char *cz_throttle_address_key (const char *host);

G_END_DECLS
