/*
 * freeport: prints a TCP port on 127.0.0.1 that was free a moment ago (the
 * kernel's choice for port 0).  Harness scripts retry when they lose the race.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
main(void)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int fd;

    if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1) {
        perror("socket");
        return 1;
    }
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
        getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
        perror("bind");
        close(fd);
        return 1;
    }
    printf("%u\n", ntohs(sin.sin_port));
    close(fd);
    return 0;
}
