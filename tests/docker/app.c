/* The stand-in service of `make docker-test`: a static binary for a FROM
 * scratch image (the example's `app`) that answers every request on
 * 127.0.0.1:8080 with the status given as its argument (default 200). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *status = argc > 1 ? argv[1] : "200";
	char request[4096], reply[160];
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(8080) };
	int length = snprintf(reply, sizeof reply,
		"HTTP/1.1 %s app\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", status);

	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(s, (struct sockaddr *)&address, sizeof address) || listen(s, 16)) {
		perror("app");
		return 1;
	}
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c < 0)
			continue;
		if (read(c, request, sizeof request) > 0 && write(c, reply, length) < 0)
			perror("app");
		close(c);
	}
}
