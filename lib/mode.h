/* SPDX-License-Identifier: MIT */
/*
 * How daxfile_open() settles a file's mode, shared with `daxfile status`,
 * which predicts it: the probe it asks, and the words
 * daxfile_mode_reason() gives.  Never installed.
 */
#ifndef LIBDAXFILE_MODE_H
#define LIBDAXFILE_MODE_H

#include <stdbool.h>

/*
 * Does the kernel refuse MAP_SYNC for fd?  It does for page-cache files
 * and on asynchronous DAX devices (virtio-pmem).  Any failed probe counts
 * as a refusal.
 */
bool daxfile__map_sync_refused(int fd);

/* A static-dax file met on a mount without DAX. */
#define DAXFILE_WHY_STATIC_NOT_DAX \
	"the file is static-dax, but not DAX on this mount (dax=never?): its stores go to the page cache and need msync"

/* A static-dax file met on an asynchronous DAX device. */
#define DAXFILE_WHY_STATIC_ASYNC \
	"the file is static-dax, but its DAX device is asynchronous (e.g. virtio-pmem): a store is durable only once the host flushes, so persist calls msync"

/* Any other file on an asynchronous DAX device. */
#define DAXFILE_WHY_ASYNC \
	"the DAX device is asynchronous (e.g. virtio-pmem): the kernel refuses MAP_SYNC and static-dax, so persist calls msync"

#endif
