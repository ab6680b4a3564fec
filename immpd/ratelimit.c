/*
 * Rate counters for the admission limits (set.h, limit.c): one fixed
 * window per key, in a red-black tree of at most cap keys.
 */

#include <sys/types.h>
#include <sys/tree.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "set.h"

struct rl_entry {
	RB_ENTRY(rl_entry)	 entry;
	char			 key[IPC_DOMAIN_MAX];
	int64_t			 start;		/* window start */
	uint32_t		 per;		/* window length */
	uint32_t		 count;
};

RB_HEAD(rl_tree, rl_entry);

struct ratelimit {
	struct rl_tree	 tree;
	size_t		 n;
	size_t		 cap;
};

static int	 rl_cmp(struct rl_entry *, struct rl_entry *);
RB_PROTOTYPE(rl_tree, rl_entry, entry, rl_cmp);
RB_GENERATE(rl_tree, rl_entry, entry, rl_cmp);

static int
rl_cmp(struct rl_entry *a, struct rl_entry *b)
{
	return (strcmp(a->key, b->key));
}

struct ratelimit *
ratelimit_new(size_t cap)
{
	struct ratelimit	*rl;

	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return (NULL);
	RB_INIT(&rl->tree);
	rl->cap = cap;
	return (rl);
}

/* Drops every entry whose window has ended. */
static void
ratelimit_sweep(struct ratelimit *rl, int64_t now)
{
	struct rl_entry	*e, *next;

	RB_FOREACH_SAFE(e, rl_tree, &rl->tree, next) {
		if (now - e->start >= e->per || now < e->start) {
			RB_REMOVE(rl_tree, &rl->tree, e);
			free(e);
			rl->n--;
		}
	}
}

int
ratelimit_hit(struct ratelimit *rl, const char *key, uint32_t max,
    uint32_t per, int64_t now)
{
	struct rl_entry	 k, *e;

	if (max == 0 || per == 0)
		return (1);
	(void)strlcpy(k.key, key, sizeof(k.key));
	if ((e = RB_FIND(rl_tree, &rl->tree, &k)) == NULL) {
		if (rl->n >= rl->cap)
			ratelimit_sweep(rl, now);
		if (rl->n >= rl->cap || (e = calloc(1, sizeof(*e))) == NULL)
			return (1);	/* fail open, see set.h */
		(void)strlcpy(e->key, key, sizeof(e->key));
		e->start = now;
		e->per = per;
		RB_INSERT(rl_tree, &rl->tree, e);
		rl->n++;
	}
	if (now - e->start >= per || now < e->start || e->per != per) {
		e->start = now;
		e->per = per;
		e->count = 0;
	}
	if (e->count >= max)
		return (0);
	e->count++;
	return (1);
}

void
ratelimit_free(struct ratelimit *rl)
{
	struct rl_entry	*e, *next;

	if (rl == NULL)
		return;
	RB_FOREACH_SAFE(e, rl_tree, &rl->tree, next) {
		RB_REMOVE(rl_tree, &rl->tree, e);
		free(e);
	}
	free(rl);
}
