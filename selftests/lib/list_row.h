/* SPDX-License-Identifier: GPL-2.0 */
/* uvdpactl list's table in a test: the row of one device, and the words on it. */
#ifndef UVDPA_SELFTESTS_LIST_ROW_H
#define UVDPA_SELFTESTS_LIST_ROW_H

#include <string.h>

/* The line of @out that starts with the word @name, or NULL. */
static inline const char *list_row(const char *out, const char *name)
{
	const char *p;

	for (p = out; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, name, strlen(name)) && p[strlen(name)] == ' ')
			return p;
	return NULL;
}

/* In a kselftest: every string of the list on @name's row of @out. */
#define EXPECT_ROW(out, name, ...) do {						\
		const char *__r = list_row(out, name);				\
		const char *__want[] = { __VA_ARGS__ };				\
		unsigned int __i;						\
		ASSERT_NE(NULL, __r) TH_LOG("no %s in:\n%s", name, out);	\
		for (__i = 0; __i < sizeof(__want) / sizeof(*__want); __i++) {	\
			const char *__nl = strchr(__r, '\n');			\
			const char *__hit = strstr(__r, __want[__i]);		\
			EXPECT_TRUE(__hit && (!__nl || __hit < __nl))		\
				TH_LOG("%s: no '%s' in:\n%s", name, __want[__i], out); \
		}								\
	} while (0)

#endif
