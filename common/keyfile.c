/* The TLS client key's check (keyfile.h). The file is opened and then checked
 * (file_open_regular): what is checked is a file that could be read then. */
#include "keyfile.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

/* getpwuid_r and getgrnam_r want a buffer; their entries are small. */
#define DB_BUF_MAX (1024 * 1024)

int keyfile_group_lookup(const char *name, gid_t *gid)
{
	struct group gr, *found = NULL;
	size_t size = 1024;
	char *buf = NULL;
	int rc;

	for (;;) {
		char *bigger = realloc(buf, size);

		if (!bigger) {
			free(buf);
			return -ENOMEM;
		}
		buf = bigger;
		rc = getgrnam_r(name, &gr, buf, size, &found);
		if (rc != ERANGE || size >= DB_BUF_MAX)
			break;
		size *= 2;
	}
	if (rc == 0 && found)
		*gid = gr.gr_gid;
	free(buf);
	return rc != 0 ? -rc : found ? 0 : -ENOENT;
}

/* The name of user id, or with group of group id, for messages; "uid N" or
 * "gid N" when it has none, or with bare only N (an argument for chown). */
static void id_show(unsigned long id, bool group, bool bare, char *out, size_t len)
{
	struct passwd pw, *pw_found = NULL;
	struct group gr, *gr_found = NULL;
	char buf[4096];

	if (!group && getpwuid_r((uid_t)id, &pw, buf, sizeof(buf), &pw_found) == 0 && pw_found)
		snprintf(out, len, "%s", pw.pw_name);
	else if (group && getgrgid_r((gid_t)id, &gr, buf, sizeof(buf), &gr_found) == 0 && gr_found)
		snprintf(out, len, "%s", gr.gr_name);
	else
		snprintf(out, len, "%s%lu", bare ? "" : group ? "gid " : "uid ", id);
}

/* What the three permission bits in bits (r = 4, w = 2, x = 1) allow, for
 * messages; x is named only alone. */
static const char *access_show(unsigned bits)
{
	static const char *const names[8] = {
		"executable", "executable", "writable", "writable", "readable", "readable",
		"readable and writable", "readable and writable",
	};

	return names[bits & 7];
}

/* Writes the message into err (err_len bytes, cut to fit); returns -1. */
__attribute__((format(printf, 3, 4)))
static int key_fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *kind_show(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a folder";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	return "not a regular file";
}

int keyfile_check(const char *path, const char *group, char *err, size_t err_len)
{
	bool with_group = group && group[0];
	gid_t key_gid = 0;
	struct file_error why;
	struct stat st;
	unsigned mode;
	int fd, rc = 0;
	char name[64], self[64], self_bare[64];	/* user and group names */

	if (with_group && (rc = keyfile_group_lookup(group, &key_gid)) == -ENOENT)
		return key_fail(err, err_len, "mqtt.tls.key_group names \"%s\", and there is no such "
				"group", group);
	if (with_group && rc < 0)
		return key_fail(err, err_len, "cannot look up group \"%s\" (mqtt.tls.key_group): %s",
				group, strerror(-rc));
	fd = file_open_regular(path, &st, &why);
	if (fd < 0 && why.step == FILE_NOT_REGULAR)
		return key_fail(err, err_len, "%s is %s; it must name the key file itself", path,
				kind_show(st.st_mode));
	if (fd < 0)
		return key_fail(err, err_len, "cannot %s %s: %s", why.step == FILE_OPEN ? "open" : "stat",
				path, strerror(why.err));
	close(fd);
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		id_show(st.st_uid, false, false, name, sizeof(name));
		id_show(geteuid(), false, false, self, sizeof(self));
		id_show(geteuid(), false, true, self_bare, sizeof(self_bare));
		return key_fail(err, err_len, "%s is owned by %s, neither by this process's user (%s) "
				"nor by root; chown %s %s", path, name, self, self_bare, path);
	}
	mode = (unsigned)(st.st_mode & 07777);
	if (mode & 0007) {
		/* With the group allowed and already in place, 640 keeps it. */
		bool keep_group = with_group && st.st_gid == key_gid && (mode & 0040);

		return key_fail(err, err_len, "%s is %s by others (mode %04o); chmod %s %s", path,
				access_show(mode & 0007), mode, keep_group ? "640" : "600", path);
	}
	if ((mode & 0070) == 0)
		return 0;
	if (!with_group) {
		id_show(st.st_gid, true, false, name, sizeof(name));
		return key_fail(err, err_len, "%s is %s by its group %s (mode %04o); chmod 600 %s, or "
				"name that group in mqtt.tls.key_group if its members must read the key",
				path, access_show((mode >> 3) & 7), name, mode, path);
	}
	if (mode & 0030)
		return key_fail(err, err_len, "%s is %s by its group (mode %04o); chmod 640 %s", path,
				access_show((mode >> 3) & 3), mode, path);
	if (st.st_gid != key_gid) {
		id_show(st.st_gid, true, false, name, sizeof(name));
		return key_fail(err, err_len, "%s is readable by its group %s, which is not "
				"mqtt.tls.key_group (%s); chgrp %s %s, or chmod 600 %s", path, name,
				group, group, path, path);
	}
	return 0;
}
