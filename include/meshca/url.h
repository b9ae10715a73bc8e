/*
 * URL checks shared by the service and the tests: plain http is allowed only
 * to a literal loopback host (127.0.0.0/8, ::1, localhost).  A prefix test is
 * not enough: "http://127.evil.com" and "http://127.0.0.1@evil/" are not
 * loopback.
 */
#ifndef MESHCA_URL_H
#define MESHCA_URL_H

/* 1 when url is http:// to a literal loopback host with an optional numeric
 * port and no userinfo; 0 otherwise. */
int url_is_loopback_http(const char *url);

#endif
