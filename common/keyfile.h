/* The check of the TLS client key (mqtt.tls.key_file), made when the
 * configuration is loaded and again before every MQTT connect: OpenSSL opens
 * the path anew at each connect, so a key replaced or opened up after the
 * start would otherwise be used without a word. */
#ifndef ROLLSENSE_KEYFILE_H
#define ROLLSENSE_KEYFILE_H

#include <stddef.h>
#include <sys/types.h>

/* Checks the key at path:
 * - it opens for reading and is a regular file. A symbolic link is
 *   followed, as OpenSSL follows it: the file it leads to is checked (the
 *   link's own mode means nothing on Linux);
 * - it is owned by the effective user or by root;
 * - others have no permission on it, and its group none either, unless
 *   group names a group (mqtt.tls.key_group; NULL or "" for none): then the
 *   file may be readable, never writable or executable, by its group if that
 *   group is the one named.
 * The folders on the way are not checked: whoever may write in the key's
 * folder can still swap it between this check and OpenSSL's open.
 * Returns 0, or -1 with err holding what is wrong and the fix, naming the
 * file but not mqtt.tls.key_file (the caller adds the key it checks), e.g.
 * "/etc/rollsense/client.key is readable by others (mode 0644); chmod 600 /etc/rollsense/client.key". */
int keyfile_check(const char *path, const char *group, char *err, size_t err_len);

/* The id of the group named name: 0, -ENOENT if there is none, or another
 * -errno when the group database cannot be read. */
int keyfile_group_lookup(const char *name, gid_t *gid);

#endif
