/*
 * udp-stamp: the C side of bench/udp-latency.ts. Stamps CLOCK_MONOTONIC (µs) the way a C Link
 * peer would: just before sendto(), just after recvfrom() returns in a thread blocked on the
 * socket. Loopback only (the bench runs it inside a network namespace).
 *
 *   udp-stamp recv PORT COUNT         prints "<recv µs> <sent µs from payload>" per datagram
 *   udp-stamp send PORT COUNT GAP_US  sends COUNT datagrams to 127.0.0.1:PORT carrying the
 *                                     send stamp (8 bytes, big endian), GAP_US apart
 *   udp-stamp echo PORT COUNT         answers each datagram at once with its own stamp appended
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void put64(unsigned char *p, int64_t v) {
  for (int i = 7; i >= 0; i--) { p[i] = (unsigned char)(v & 0xff); v >>= 8; }
}

static int64_t get64(const unsigned char *p) {
  int64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
  return v;
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: udp-stamp recv|send|echo PORT COUNT [GAP_US]\n"); return 2; }
  int port = atoi(argv[2]);
  long count = atol(argv[3]);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons((uint16_t)port);
  unsigned char buf[512];
  if (strcmp(argv[1], "send") == 0) {
    long gap = argc > 4 ? atol(argv[4]) : 10000;
    for (long i = 0; i < count; i++) {
      memset(buf, 0, 64);
      int64_t t = mono_us();
      put64(buf, t);
      sendto(fd, buf, 64, 0, (struct sockaddr *)&addr, sizeof addr);
      usleep((useconds_t)gap);
    }
    return 0;
  }
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) { perror("bind"); return 1; }
  printf("ready\n");
  fflush(stdout);
  for (long i = 0; i < count; i++) {
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
    int64_t t = mono_us();
    if (n < 8) continue;
    if (strcmp(argv[1], "echo") == 0) {
      put64(buf + 8, t);
      int64_t out = mono_us();
      put64(buf + 16, out);
      sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
    } else {
      printf("%lld %lld\n", (long long)t, (long long)get64(buf));
    }
  }
  return 0;
}
