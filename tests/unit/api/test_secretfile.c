/* Unit tests for api/secretfile.c: the one reader of meshcad's secret
 * files (keys, MAC key, PIN, webhook secrets). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../../api/secretfile.h"
#include "../../lib/unit.h"

/* Writes len bytes of c to dir/name with mode; returns the path (static). */
static const char *
put(const char *dir, const char *name, int c, size_t len, mode_t mode)
{
    static char path[512];
    char data[64];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    memset(data, c, sizeof(data));
    ASSERT(len <= sizeof(data));
    ASSERT((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1);
    ASSERT(write(fd, data, len) == (ssize_t)len);
    ASSERT(close(fd) == 0);
    ASSERT(chmod(path, mode) == 0);
    return path;
}

TEST(test_secretfile_reads_an_owner_only_file_below_its_cap)
{
    const char *dir = unit_tmpdir();
    uint8_t buf[33];
    char why[128] = "";
    size_t len = 99;

    ASSERT_OK(secretfile_read(put(dir, "k", 'a', 32, 0600), buf, sizeof(buf),
        &len, why, sizeof(why)));
    ASSERT_INT_EQ(len, 32);
    ASSERT(buf[0] == 'a' && buf[31] == 'a');
    ASSERT_OK(secretfile_read(put(dir, "e", 'a', 0, 0400), buf, sizeof(buf),
        &len, why, sizeof(why)));
    ASSERT_INT_EQ(len, 0);
    ASSERT_ERR(secretfile_read(put(dir, "big", 'a', 33, 0600), buf,
        sizeof(buf), &len, why, sizeof(why)), MESHCA_ERR_STRING_TOO_LARGE);
    ASSERT_STR_EQ(why, "larger than 32 bytes");
}

TEST(test_secretfile_refuses_what_others_may_read)
{
    const char *dir = unit_tmpdir();
    static const mode_t modes[] = { 0640, 0604, 0660, 0644, 0601 };
    uint8_t buf[16];
    char why[128], want[64];
    size_t i, len;

    for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        ASSERT_ERR(secretfile_read(put(dir, "k", 'a', 8, modes[i]), buf,
            sizeof(buf), &len, why, sizeof(why)),
            MESHCA_ERR_KEY_FILE_PERMISSIONS);
        snprintf(want, sizeof(want), "group or others can read it (mode "
            "%04o): chmod 600 it", (unsigned)modes[i]);
        ASSERT_STR_EQ(why, want);
    }
}

/* A FIFO would block open() and a device could stream forever: both are
 * refused at once (the FIFO has no writer, so a blocking open would hang
 * this test). */
TEST(test_secretfile_refuses_fifos_directories_and_devices)
{
    const char *dir = unit_tmpdir();
    char path[512], why[128];
    uint8_t buf[16];
    size_t len;

    snprintf(path, sizeof(path), "%s/fifo", dir);
    ASSERT(mkfifo(path, 0600) == 0);
    ASSERT_ERR(secretfile_read(path, buf, sizeof(buf), &len, why,
        sizeof(why)), MESHCA_ERR_INVALID_FORMAT);
    ASSERT_STR_EQ(why, "not a regular file");
    ASSERT_ERR(secretfile_read(dir, buf, sizeof(buf), &len, why,
        sizeof(why)), MESHCA_ERR_INVALID_FORMAT);
    ASSERT_ERR(secretfile_read("/dev/zero", buf, sizeof(buf), &len, why,
        sizeof(why)), MESHCA_ERR_INVALID_FORMAT);
}

TEST(test_secretfile_says_why_it_cannot_open_and_keeps_errno)
{
    char path[512], why[128];
    uint8_t buf[16];
    size_t len;

    snprintf(path, sizeof(path), "%s/absent", unit_tmpdir());
    errno = 0;
    ASSERT_ERR(secretfile_read(path, buf, sizeof(buf), &len, why,
        sizeof(why)), MESHCA_ERR_SYSTEM);
    ASSERT_INT_EQ(errno, ENOENT);
    ASSERT_STR_EQ(why, "cannot open: No such file or directory");
}

UNIT_MAIN(T(test_secretfile_reads_an_owner_only_file_below_its_cap),
    T(test_secretfile_refuses_what_others_may_read),
    T(test_secretfile_refuses_fifos_directories_and_devices),
    T(test_secretfile_says_why_it_cannot_open_and_keeps_errno))
