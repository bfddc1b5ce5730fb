/* Small-file helpers (file.h): one whole-file reader and one dirname for
 * both daemons. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int file_fail(struct file_error *why, enum file_step step, int err)
{
	why->step = step;
	why->err = err;
	errno = err;
	return -1;
}

int file_open_regular(const char *path, struct stat *st, struct file_error *why)
{
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return file_fail(why, FILE_OPEN, errno);
	/* fstat on the open file: what is checked is what is read. */
	if (fstat(fd, st) < 0) {
		int saved = errno;

		close(fd);
		return file_fail(why, FILE_STAT, saved);
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return file_fail(why, FILE_NOT_REGULAR, EINVAL);
	}
	return fd;
}

char *file_read_all(const char *path, size_t max, size_t *len, long long *size,
		    struct file_error *why)
{
	struct stat st;
	char *text = NULL;
	size_t got = 0;
	size_t cap;
	int fd;

	*len = 0;
	*size = 0;
	fd = file_open_regular(path, &st, why);
	if (fd < 0)
		return NULL;
	*size = (long long)st.st_size;
	if ((unsigned long long)st.st_size > max) {
		file_fail(why, FILE_TOO_BIG, EFBIG);
		goto err;
	}
	/* One byte more than its size, to notice a file that grew meanwhile. */
	cap = (size_t)st.st_size + 1;
	text = malloc(cap);
	if (text == NULL) {
		file_fail(why, FILE_NO_MEMORY, ENOMEM);
		goto err;
	}
	while (got < cap) {
		ssize_t n = read(fd, text + got, cap - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			file_fail(why, FILE_READ, errno);
			goto err;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got == cap) {
		file_fail(why, FILE_CHANGED, EFBIG);
		goto err;
	}
	close(fd);
	text[got] = '\0';
	*len = got;
	return text;

err:
	free(text);		/* NULL before the malloc */
	close(fd);
	errno = why->err;
	return NULL;
}

int file_dirname(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');
	const char *dir = slash == NULL ? "." : slash == path ? "/" : path;
	size_t n = dir == path ? (size_t)(slash - path) : 1;

	if (n >= len)
		return -1;
	memcpy(out, dir, n);
	out[n] = '\0';
	return 0;
}

/* Writes all of buf to fd: 0, or -errno. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int file_save_atomic(const char *path, const char *buf, size_t len)
{
	char tmp[4096 + 8], dir[4096];
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp) ||
	    file_dirname(path, dir, sizeof(dir)) < 0)
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = write_all(fd, buf, len);
	if (err == 0 && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && err == 0)
		err = -errno;
	if (err == 0 && rename(tmp, path) < 0)
		err = -errno;
	if (err < 0) {
		unlink(tmp);
		return err;
	}
	/* The rename is durable once the folder is. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		err = -errno;
	close(fd);
	return err;
}
