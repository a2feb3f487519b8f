// SPDX-License-Identifier: MIT
/* The thread-local reason behind the last failure. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

static __thread char errmsg[512];

void daxfile__err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	va_end(ap);
	errno = err;
}

void daxfile__save_err(struct daxfile__saved_err *s)
{
	s->err = errno;
	memcpy(s->msg, errmsg, sizeof(s->msg));
}

void daxfile__restore_err(const struct daxfile__saved_err *s)
{
	memcpy(errmsg, s->msg, sizeof(errmsg));
	errno = s->err;
}

const char *daxfile_errmsg(void)
{
	return errmsg[0] ? errmsg : "no error";
}

const char *daxfile__size_str(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	int i = -1;

	while (n >= 1024 && !(n & 1023) && i < 3) {
		n >>= 10;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%" PRIu64 " bytes", n);
	else
		snprintf(buf, len, "%" PRIu64 " %s", n, unit[i]);
	return buf;
}
