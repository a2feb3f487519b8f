/* SPDX-License-Identifier: MIT */
/*
 * What the filesystem records on disk about static-dax: the superblock's
 * feature bit.  See Documentation/filesystems/daxfile.rst for the format.
 */
#ifndef DAXFILE_TOOLS_ONDISK_H
#define DAXFILE_TOOLS_ONDISK_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Does the filesystem holding st_dev have the static-dax feature bit?
 * 1 or 0; -1 when it can't be told, with the reason in why (the device is
 * not readable without privilege, the filesystem is neither ext4 nor xfs).
 */
int ondisk_feature(dev_t dev, const char *fs, char *why, size_t len);

#endif
