// SPDX-License-Identifier: GPL-2.0
/*
 * CPU masks in the kernel's sysfs text: the one the interrupt of a queue
 * is narrowed to (vduse/irq_affinity.c), and the text written back.
 */
#include <errno.h>

#include "kselftest_harness.h"
#include "util/cpumask.h"

TEST(nth_counts_from_the_lowest_cpu_and_wraps)
{
	unsigned int w;

	EXPECT_EQ(0, cpumask_nth("3\n", 0, &w));
	EXPECT_EQ(2, w);
	EXPECT_EQ(1, cpumask_nth("3\n", 1, &w));
	EXPECT_EQ(0, cpumask_nth("3\n", 2, &w));
	EXPECT_EQ(3, cpumask_nth("a", 1, &w));
	EXPECT_EQ(2, w);
	EXPECT_EQ(5, cpumask_nth("20", 7, &w));
	EXPECT_EQ(1, w);
}

TEST(groups_are_printed_highest_first)
{
	unsigned int w;

	EXPECT_EQ(32, cpumask_nth("1,00000000", 0, &w));
	EXPECT_EQ(1, w);
	EXPECT_EQ(4, cpumask_nth("80000000,00000010", 0, &w));
	EXPECT_EQ(63, cpumask_nth("80000000,00000010", 1, &w));
	EXPECT_EQ(2, w);
	EXPECT_EQ(64, cpumask_nth("00000001,00000000,00000000\n", 0, &w));
}

TEST(bad_text_is_refused)
{
	static const char *const bad[] = {
		"", "\n", "x", "3,", ",3", "1,,0", "123456789", "3\n\n", "3 ", "-1",
	};
	unsigned int i, w;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, cpumask_nth(bad[i], 0, &w)) TH_LOG("case %u", i);
	EXPECT_EQ(-ENOENT, cpumask_nth("0,00000000", 0, &w));
	EXPECT_EQ(0, w);
}

TEST(one_cpu_printed_as_the_kernel_parses_it)
{
	char buf[32];
	unsigned int w;

	ASSERT_EQ(0, cpumask_print_one(0, buf, sizeof(buf)));
	EXPECT_STREQ("1", buf);
	ASSERT_EQ(0, cpumask_print_one(35, buf, sizeof(buf)));
	EXPECT_STREQ("8,00000000", buf);
	EXPECT_EQ(35, cpumask_nth(buf, 0, &w));
	ASSERT_EQ(0, cpumask_print_one(31, buf, sizeof(buf)));
	EXPECT_STREQ("80000000", buf);
	EXPECT_EQ(-ENOSPC, cpumask_print_one(64, buf, 19));
	EXPECT_EQ(0, cpumask_print_one(64, buf, 20));
	EXPECT_STREQ("1,00000000,00000000", buf);
}

TEST_HARNESS_MAIN
