// SPDX-License-Identifier: GPL-2.0
/*
 * Leak checks for the kselftest harness's test processes. The harness ends
 * each test child (and each TEST_F grandchild, after its teardown) with
 * _exit(), which skips LeakSanitizer's check at exit, so a leak in the code
 * under test would never fail a test. The collections link with
 * -Wl,--wrap=_exit (leak_check.mk): every _exit() of the test program comes
 * here first, runs the check, and turns a clean exit into a failure when
 * something leaked. LeakSanitizer prints the report itself.
 */
#include <stdlib.h>

/* Only in a sanitizer build; elsewhere the check is a no-op. */
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

void __real__exit(int status) __attribute__((noreturn));
void __wrap__exit(int status) __attribute__((noreturn));

void __wrap__exit(int status)
{
	if (__lsan_do_recoverable_leak_check && __lsan_do_recoverable_leak_check() && !status)
		status = EXIT_FAILURE;
	__real__exit(status);
}
