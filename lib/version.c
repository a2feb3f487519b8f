// SPDX-License-Identifier: MIT
/*
 * The version this library was built as, which may be newer than the
 * header a program was compiled against.
 */
#include "internal.h"

#define STR_(x)	#x
#define STR(x)	STR_(x)

const char *daxfile_version(unsigned int *major, unsigned int *minor,
			    unsigned int *patch)
{
	if (major)
		*major = DAXFILE_VERSION_MAJOR;
	if (minor)
		*minor = DAXFILE_VERSION_MINOR;
	if (patch)
		*patch = DAXFILE_VERSION_PATCH;
	return STR(DAXFILE_VERSION_MAJOR) "." STR(DAXFILE_VERSION_MINOR) "."
	       STR(DAXFILE_VERSION_PATCH);
}
