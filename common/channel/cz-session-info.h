/* cz-session-info.h: the facts a window shows about one connection: the
 * TLS session, both certificates, how the peer was verified, the
 * application Diffie-Hellman values and the verification code (DESIGN
 * §2.1).  No GnuTLS in sight: the engines' events carry it to the
 * windows, the headless logger and the CLI.  The channel fills it in
 * (cz-channel-keys.c). */
#pragma once

#include <glib-object.h>
#include "cz-cert-info.h"

G_BEGIN_DECLS

/* This side's private Diffie-Hellman value (issue #15 item 10).  It is no
 * string in the facts: nothing that logs, copies or serializes them (the
 * headless log, --json, the event sinks) can leak it.  The channel holds
 * it while the connection lives and wipes it when the channel goes; a
 * window asks for it only while it shows it. */
typedef struct _CzDhSecret CzDhSecret;

/* Largest private value: x25519 32 bytes, ffdhe at most 40 (RFC 7919
 * §5.2); in hex with its NUL. */
#define CZ_DH_PRIVATE_MAX 64
typedef struct {
  char hex[2 * CZ_DH_PRIVATE_MAX + 1];
} CzPrivateHex;

/* Everything a window shows about one connection.  Immutable once made;
 * refcounted so it can cross threads. */
typedef struct {
  /* TLS */
  char *protocol;            /* "TLS1.3" */
  char *cipher;              /* "AES-256-GCM" */
  char *mac;                 /* "AEAD" */
  char *group;               /* key exchange group, "X25519" */
  char *signature;           /* "ECDSA-SECP256R1-SHA256" */
  char *alpn;                /* "causerie/1" */
  CzCertInfo *server_cert;
  CzCertInfo *client_cert;   /* NULL if none */
  char *verification;        /* a sentence: how the peer was verified */
  char *trust;               /* client: "ca", "pin", "first-use"; server: client-cert mode */
  /* application Diffie-Hellman */
  char *dh_group;            /* "x25519" */
  const char *dh_prime_formula; /* "2^255 - 19" or NULL */
  const char *dh_prime_hex;
  const char *dh_generator;
  CzDhSecret *dh_secret;     /* opaque: this side's private value, read only through
                              * cz_session_info_reveal_private() */
  char *dh_server_public;    /* hex */
  char *dh_client_public;    /* hex */
  char *code;                /* verification code "1a2b-3c4d-5e6f-7081" */
  /* the peer */
  char *peer_address;        /* "127.0.0.1:50412" */
  gint64 since;              /* connection time, Unix ms */
} CzSessionInfo;

/* An empty one, for the channel to fill in once keys exist. */
CzSessionInfo *cz_session_info_new (void);
CzSessionInfo *cz_session_info_ref (CzSessionInfo *info);
void cz_session_info_unref (CzSessionInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzSessionInfo, cz_session_info_unref)

/* Writes this side's private value in lower-case hex into @out (the
 * caller's, wiped with cz_private_hex_clear() as soon as it is no longer
 * shown; use g_auto(CzPrivateHex)).  FALSE, and @out empty, when there is
 * none: before the keys, or once the connection is gone.  Thread-safe. */
gboolean cz_session_info_reveal_private (const CzSessionInfo *info, CzPrivateHex *out);
/* Wipes @out. */
void cz_private_hex_clear (CzPrivateHex *out);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CzPrivateHex, cz_private_hex_clear)

/* For the channel (cz-channel-keys.c, cz-channel.c): keeps a copy of the
 * private value in @info, and wipes it for good (reveal answers FALSE
 * from then on). */
void cz_session_info_hold_private (CzSessionInfo *info, const guint8 *priv, gsize len);
void cz_session_info_forget_private (CzSessionInfo *info);

/* A boxed type (by reference), so the facts can be a signal argument. */
#define CZ_TYPE_SESSION_INFO (cz_session_info_get_type ())
GType cz_session_info_get_type (void);

G_END_DECLS
