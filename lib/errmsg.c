// SPDX-License-Identifier: MIT
/* The thread-local reason behind the last failure. */
#include <errno.h>
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
