// redact_url, redact_urls_in and url_has_user_info (core/redact): what a secret in a URL
// becomes wherever the program prints or stores the URL.
#include "core/redact.hpp"

#include <gtest/gtest.h>

using namespace tsbatch;

TEST(Redact, UserInformation) {
    EXPECT_EQ(redact_url("http://alice:s3cret@tsdb.example.org:4242/"), "http://***@tsdb.example.org:4242/");
    EXPECT_EQ(redact_url("https://token@host"), "https://***@host");
    // An '@' after the host is no user information.
    EXPECT_EQ(redact_url("http://host:4242/a@b"), "http://host:4242/a@b");
    // A password holding '@' is hidden whole (the last '@' before the path ends it).
    EXPECT_EQ(redact_url("http://u:p@ss@host/x"), "http://***@host/x");
    EXPECT_TRUE(url_has_user_info("http://alice:pw@host:4242"));
    EXPECT_TRUE(url_has_user_info("http://alice@host"));
    EXPECT_FALSE(url_has_user_info("http://host:4242/a@b"));
    EXPECT_FALSE(url_has_user_info("http://host:4242?x=a@b"));
    EXPECT_FALSE(url_has_user_info("not a url"));
}

TEST(Redact, QueryParametersNamedLikeSecrets) {
    EXPECT_EQ(redact_url("http://h/api?token=abc&start=1h&api_key=k&Password=p#frag"),
              "http://h/api?token=***&start=1h&api_key=***&Password=***#frag");
    EXPECT_EQ(redact_url("http://h/?access_token=a&sig=b&secret=c&auth=d&pwd=e&credential=f&sessionid=g"),
              "http://h/?access_token=***&sig=***&secret=***&auth=***&pwd=***&credential=***&sessionid=***");
    EXPECT_EQ(redact_url("http://h/?metric=gw.level&flag"), "http://h/?metric=gw.level&flag");
    EXPECT_EQ(redact_url("http://u:p@h/?token=t"), "http://***@h/?token=***");
    EXPECT_EQ(redact_url("http://h:4242"), "http://h:4242");
}

TEST(Redact, EveryUrlInAText) {
    EXPECT_EQ(redact_urls_in("tsbatch push r.h5:/x --url http://a:b@h:1/?token=t --retries 2"),
              "tsbatch push r.h5:/x --url http://***@h:1/?token=*** --retries 2");
    EXPECT_EQ(redact_urls_in("url: 'https://a:b@h' and \"http://c:d@k/?key=v\""),
              "url: 'https://***@h' and \"http://***@k/?key=***\"");
    EXPECT_EQ(redact_urls_in("--set output.opentsdb.url=http://u:p@h"), "--set output.opentsdb.url=http://***@h");
    EXPECT_EQ(redact_urls_in("no url here: a://"), "no url here: a://");
    EXPECT_EQ(redact_urls_in("://nothing before"), "://nothing before");
    EXPECT_EQ(redact_urls_in(""), "");
}
