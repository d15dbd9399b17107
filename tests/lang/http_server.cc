// A small HTTP service on 127.0.0.1 for the end-to-end tests of the
// language's http.request (cli_services.sh) and the README's example. It
// never listens beyond the loopback interface.
//
//   http_server [--port N]   serve on port N (default: a free one); prints
//                            the port on a line once it listens, then serves
//                            until killed
//   http_server --dead-port  binds a loopback port without listening on it,
//                            prints it, and holds it until killed: a
//                            connection to it is refused, and no server can
//                            take the port meanwhile (a port merely found
//                            free, then closed, could be bound by another
//                            test's server before it is used)
//
// Routes (all deterministic, so a recording can be compared with a replay):
//   GET  /status   200 "ok", with X-Service: inventory
//   GET  /items    200, three lines of text
//   GET  /missing  404        GET /broken  500
//   GET  /slow     200 after 2 s (for timeouts)
//   GET  /large    200, 3 MiB of patterned bytes
//   GET  /cookies  200 with two Set-Cookie headers
//   GET  /moved    302 to /items
//   POST /echo     200 "got <body> from <X-Who>"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

// Binds a free loopback port and keeps it bound, never listening, until the
// process is killed. Without SO_REUSEADDR or SO_REUSEPORT on this socket, no
// other socket can bind the port while it is held.
[[noreturn]] void HoldDeadPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("http_server: cannot bind a loopback port");
    std::exit(1);
  }
  std::printf("%d\n", ntohs(addr.sin_port));
  std::fflush(stdout);
  for (;;) ::pause();
}

std::string LargeBody() {
  std::string body(3u << 20, '.');
  for (size_t i = 0; i < body.size(); i += 64) body[i] = char('a' + (i / 64) % 26);
  return body;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--dead-port") == 0) HoldDeadPort();
    if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = std::atoi(argv[++i]);
      continue;
    }
    std::fprintf(stderr, "usage: %s [--port N] | --dead-port\n", argv[0]);
    return 2;
  }
  httplib::Server server;
  server.Get("/status", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Service", "inventory");
    res.set_content("ok\n", "text/plain");
  });
  server.Get("/items", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("pear 3\napple 12\nfig 0\n", "text/plain");
  });
  server.Get("/missing", [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content("no such item\n", "text/plain");
  });
  server.Get("/broken", [](const httplib::Request&, httplib::Response& res) {
    res.status = 500;
    res.set_content("database down\n", "text/plain");
  });
  server.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    res.set_content("late\n", "text/plain");
  });
  const std::string large = LargeBody();
  server.Get("/large", [&large](const httplib::Request&, httplib::Response& res) {
    res.set_content(large, "application/octet-stream");
  });
  server.Get("/cookies", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Set-Cookie", "a=1; Path=/");
    res.set_header("Set-Cookie", "b=2, with a comma");
    res.set_content("two cookies\n", "text/plain");
  });
  server.Get("/moved",
             [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/items"); });
  server.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content("got " + req.body + " from " + req.get_header_value("X-Who") + "\n",
                    "text/plain");
  });
  if (port == 0) {
    port = server.bind_to_any_port("127.0.0.1");
  } else if (!server.bind_to_port("127.0.0.1", port)) {
    port = -1;
  }
  if (port <= 0) {
    std::fprintf(stderr, "http_server: cannot listen on 127.0.0.1\n");
    return 1;
  }
  std::printf("%d\n", port);
  std::fflush(stdout);
  return server.listen_after_bind() ? 0 : 1;
}
