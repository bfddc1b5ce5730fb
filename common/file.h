/* Reading small files whole, saving them atomically, and the folder part of
 * a path. */
#ifndef ROLLSENSE_FILE_H
#define ROLLSENSE_FILE_H

#include <stddef.h>
#include <sys/stat.h>

/* Which step of file_open_regular or file_read_all failed. */
enum file_step {
	FILE_OPEN,		/* open(2); errno in err */
	FILE_STAT,		/* fstat(2); errno in err */
	FILE_NOT_REGULAR,	/* a folder, a FIFO, a device */
	FILE_TOO_BIG,		/* larger than the caller's limit */
	FILE_NO_MEMORY,
	FILE_READ,		/* read(2); errno in err */
	FILE_CHANGED,		/* it grew while being read */
};

struct file_error {
	enum file_step step;
	int err;		/* errno of the failed call, or EINVAL/EFBIG/ENOMEM */
};

/* Opens path read-only (non-blocking, so that a FIFO cannot hang the caller)
 * and checks that it is a regular file; *st is its fstat, also when the step
 * that failed is FILE_NOT_REGULAR. Returns the fd, or -1 with *why set. */
int file_open_regular(const char *path, struct stat *st, struct file_error *why);

/* Reads the regular file at path, at most max bytes, into a malloc'd buffer
 * with a NUL after the *len bytes; the caller frees it. *size is the size
 * fstat saw (for messages). Returns NULL with *why set and errno = why->err. */
char *file_read_all(const char *path, size_t max, size_t *len, long long *size,
		    struct file_error *why);

/* The folder of path into out (len bytes): "." for a bare name, "/" for a
 * name in the root. Returns 0, or -1 when it does not fit. */
int file_dirname(const char *path, char *out, size_t len);

/* Saves len bytes of buf as the file at path (mode 0600) atomically: written
 * to path.tmp, synced, renamed over path, and the folder synced, so a power
 * cut leaves the old content or the new, never a torn file. 0, or -errno
 * (-ENAMETOOLONG for a path over 4 KiB). */
int file_save_atomic(const char *path, const char *buf, size_t len);

#endif
