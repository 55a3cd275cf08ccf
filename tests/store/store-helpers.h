/* store-helpers.h: helpers shared by test-store and test-store-batch: a
 * fixture with a fresh temporary folder, and synchronous store ops that
 * assert their outcome. */
#pragma once

#include <glib.h>

#include "cz-store.h"

G_BEGIN_DECLS

typedef struct {
  char *dir;
  char *path;     /* dir/data/server.db: the parent folder does not exist yet;
                     with the PostgreSQL backend, a new database's URI */
} Fixture;

/* The test data that runs a test on PostgreSQL (NULL: SQLite). */
#define STORE_PG "pg"
/* Registers a test of the store interface on both backends: as
 * /store/NAME on SQLite and /store/pg/NAME on a throw-away PostgreSQL
 * cluster (pg-cluster.h), which is started for the first such test. */
void store_add_both (const char *name, void (*func) (Fixture *, gconstpointer));
/* A test of the PostgreSQL backend alone, as /store/pg/NAME. */
void store_add_pg (const char *name, void (*func) (Fixture *, gconstpointer));
/* Stops and starts the tests' PostgreSQL server (same data). */
void store_pg_stop_server (void);
void store_pg_start_server (void);
/* g_test_run(), then the cluster (if any) stopped. */
int store_test_run (void);
/* A one-row, one-column query on @path's database (either backend). */
char *store_query (const char *path, const char *sql);

/* Record @i of a CzStorePending's or CzStoreHistory's messages. */
#define REC(op, i) ((CzMessageRecord *) g_ptr_array_index ((op)->messages, (i)))

void fixture_setup (Fixture *f, gconstpointer data);
void fixture_teardown (Fixture *f, gconstpointer data);

/* Opens the store at @path, asserting success. */
CzStore *open_ok (const char *path);
/* Runs @op (any typed op: CzStoreSaveMessage...) synchronously, asserting
 * success. */
#define run_ok(store, any) run_op_ok ((store), &(any)->op)
void run_op_ok (CzStore *store, CzStoreOp *op);
/* The op fails with @code (as its error and cz_store_run()'s). */
#define run_fails(store, any, code) run_op_fails ((store), &(any)->op, (code))
void run_op_fails (CzStore *store, CzStoreOp *op, int code);

/* An ADD_USER op for @name with SCRAM credentials from @password. */
CzStoreAddUser *add_user_op (const char *name, const char *password);
void add_user (CzStore *store, const char *name, const char *password);
/* A SAVE_MESSAGE op from @from to @to (NULL: the lobby), at a fixed time. */
CzStoreSaveMessage *save_op (const char *from, const char *to, const char *text);
/* Saves it synchronously; returns the new message id. */
gint64 save (CzStore *store, const char *from, const char *to, const char *text);
/* A HISTORY op, run synchronously (free with cz_store_history_free()). */
CzStoreHistory *history (CzStore *store, const char *user, const char *peer, gint64 before,
                    guint limit);

G_END_DECLS
