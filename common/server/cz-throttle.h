/* cz-throttle.h: login throttling (DESIGN §2.5).
 *
 * Keys are "user:NAME" and "addr:HOST"; each counts failed logins.  The
 * first CZ_THROTTLE_FREE failures cost nothing; each further one doubles
 * the wait (1 s, 2 s, 4 s … up to CZ_THROTTLE_MAX_BACKOFF), and at
 * CZ_THROTTLE_BAN_AFTER failures the key is banned for CZ_THROTTLE_BAN.
 * A key forgets its failures CZ_THROTTLE_FORGET after the last one.
 * Single-threaded (the server's engine thread). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CZ_THROTTLE_FREE 3
#define CZ_THROTTLE_MAX_BACKOFF 60       /* seconds */
#define CZ_THROTTLE_BAN_AFTER 10
#define CZ_THROTTLE_BAN 900              /* seconds */
#define CZ_THROTTLE_FORGET 900           /* seconds */

typedef struct _CzThrottle CzThrottle;

CzThrottle *cz_throttle_new (void);
void cz_throttle_free (CzThrottle *throttle);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzThrottle, cz_throttle_free)

/* Seconds to wait before @key may try again at @now_us (monotonic µs);
 * 0 if it may try now. */
guint cz_throttle_check (CzThrottle *throttle, const char *key, gint64 now_us);
void cz_throttle_failure (CzThrottle *throttle, const char *key, gint64 now_us);
void cz_throttle_success (CzThrottle *throttle, const char *key);
/* Drops entries that have been forgotten (call now and then). */
void cz_throttle_expire (CzThrottle *throttle, gint64 now_us);
guint cz_throttle_size (CzThrottle *throttle);

G_END_DECLS
