// SPDX-License-Identifier: MIT
/* Description: on a kernel without daxctl(2) the wrappers fail with ENOSYS and say why */
#include <fcntl.h>

#include "test.h"

int main(void)
{
	int fd, ret;

	ret = daxctl("/", DAXCTL_F_GET, 0);
	if (ret >= 0 || errno != ENOSYS) {
		fprintf(stderr, "# this kernel has daxctl (ret %d errno %d)\n",
			ret, errno);
		return T_SKIP;
	}
	EXPECT(strstr(daxfile_errmsg(), "no daxctl"), "errmsg '%s'",
	       daxfile_errmsg());
	fd = open("/", O_RDONLY);
	ASSERT(fd >= 0, "open /: %m");
	errno = 0;
	EXPECT(daxctl_fd(fd, DAXCTL_F_STATIC, 0) == -1 && errno == ENOSYS,
	       "daxctl_fd: errno %d", errno);
	errno = 0;
	EXPECT(daxctl(NULL, 0, 0) == -1 && errno == ENOSYS, "errno %d", errno);
	close(fd);
	return t_result();
}
