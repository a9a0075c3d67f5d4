#include <catch2/catch.hpp>

#include "tachi_trace/attributes.hpp"

using namespace tachi_trace;

TEST_CASE("attribute values convert from natural C++ types") {
  CHECK(AttributeValue(true).get_if<bool>());
  CHECK(*AttributeValue(200).get_if<std::int64_t>() == 200);
  CHECK(*AttributeValue(std::uint16_t{8080}).get_if<std::int64_t>() == 8080);
  CHECK(*AttributeValue(-5L).get_if<std::int64_t>() == -5);
  CHECK(*AttributeValue(2.5f).get_if<double>() == 2.5);
  CHECK(*AttributeValue("GET").get_if<std::string>() == "GET");
  CHECK(*AttributeValue(std::string_view("x")).get_if<std::string>() == "x");
  CHECK(
      AttributeValue(std::vector<std::int64_t>{1, 2}).get_if<std::vector<std::int64_t>>()->size() ==
      2);
}

TEST_CASE("unsigned values above int64 keep their exact digits") {
  AttributeValue huge(std::uint64_t{18446744073709551615ULL});
  REQUIRE(huge.get_if<std::string>());
  CHECK(*huge.get_if<std::string>() == "18446744073709551615");
  CHECK(*AttributeValue(std::uint64_t{42}).get_if<std::int64_t>() == 42);
}

TEST_CASE("attribute values render as strings for string-only backends") {
  CHECK(AttributeValue(true).to_string() == "true");
  CHECK(AttributeValue(-3).to_string() == "-3");
  CHECK(AttributeValue(0.1).to_string() == "0.1");
  CHECK(AttributeValue("a\"b").to_string() == "a\"b");
  CHECK(AttributeValue(std::vector<std::string>{"a", "b\"c"}).to_string() == R"(["a","b\"c"])");
  CHECK(AttributeValue(std::vector<bool>{true, false}).to_string() == "[true,false]");
  CHECK(AttributeValue(std::vector<double>{1.5, 2}).to_string() == "[1.5,2]");
}

TEST_CASE("setting an attribute replaces one of the same key") {
  Attributes attributes;
  CHECK(set_attribute_within_limits(attributes, "a", 1, 10, SpanLimits::unlimited));
  CHECK(set_attribute_within_limits(attributes, "a", 2, 10, SpanLimits::unlimited));
  REQUIRE(attributes.size() == 1);
  CHECK(attributes[0].value == AttributeValue(2));
}

TEST_CASE("the count limit drops new keys but still replaces existing ones") {
  Attributes attributes;
  CHECK(set_attribute_within_limits(attributes, "a", 1, 2, SpanLimits::unlimited));
  CHECK(set_attribute_within_limits(attributes, "b", 1, 2, SpanLimits::unlimited));
  CHECK_FALSE(set_attribute_within_limits(attributes, "c", 1, 2, SpanLimits::unlimited));
  CHECK(set_attribute_within_limits(attributes, "a", 5, 2, SpanLimits::unlimited));
  CHECK(attributes.size() == 2);
  CHECK(attributes[0].value == AttributeValue(5));
}

TEST_CASE("the value length limit truncates strings on UTF-8 boundaries") {
  AttributeValue ascii("abcdef");
  truncate_attribute_value(ascii, 4);
  CHECK(*ascii.get_if<std::string>() == "abcd");

  AttributeValue accented("\xC3\xA9\xC3\xA9");  // "éé", 4 bytes
  truncate_attribute_value(accented, 3);
  CHECK(*accented.get_if<std::string>() == "\xC3\xA9");

  AttributeValue list(std::vector<std::string>{"long value", "ok"});
  truncate_attribute_value(list, 4);
  CHECK(*list.get_if<std::vector<std::string>>() == std::vector<std::string>{"long", "ok"});

  AttributeValue number(12345);
  truncate_attribute_value(number, 1);
  CHECK(number == AttributeValue(12345));
}

TEST_CASE("an attribute list reuses the buffers of the elements it cleared") {
  AttributeList list{
      {"a.key.longer.than.the.small.string.buffer", "first value, also long enough"}};
  const char* key_buffer = list[0].key.data();
  const char* value_buffer = list[0].value.get_if<std::string>()->data();
  list.clear();
  CHECK(list.empty());
  CHECK(list.begin() == list.end());
  CHECK(list.kept() == 1);

  Attribute& added = list.append();
  added.key.assign("another.key.longer.than.the.small.buffer");
  std::get<std::string>(added.value.storage()).assign("a second value of some length");
  CHECK(list.size() == 1);
  CHECK(list[0].key.data() == key_buffer);  // same heap buffers: no allocation
  CHECK(list[0].value.get_if<std::string>()->data() == value_buffer);

  list.push_back({"count", 3});
  CHECK(list ==
        Attributes{{"another.key.longer.than.the.small.buffer", "a second value of some length"},
                   {"count", 3}});
  list.clear();
  list.push_back({"only", true});
  AttributeList copy = list;  // copies what the list holds, not the cleared elements
  CHECK(copy.size() == 1);
  CHECK(copy.kept() == 1);
  CHECK(copy == list);
  CHECK(list.to_vector() == Attributes{{"only", true}});
  list.release();
  CHECK(list.kept() == 0);
}

TEST_CASE(
    "an attribute key holds short text inline, long text on the heap, constants by reference") {
  constexpr ConstantKey constant{"http.response.status_code"};
  const std::string long_text = "a.key.longer.than.sixteen.bytes";
  AttributeKey inline_key("db.system");
  AttributeKey heap_key(long_text);
  AttributeKey referring(constant);
  CHECK(inline_key == "db.system");
  CHECK(heap_key == long_text);
  CHECK(heap_key.data() != long_text.data());  // its own copy
  CHECK(referring == "http.response.status_code");
  CHECK(referring.data() == constant.text().data());
  CHECK(referring.refers_to(constant));
  CHECK_FALSE(AttributeKey(constant.text()).refers_to(constant));  // equal text, not a reference
  CHECK_FALSE(heap_key.constant());
  REQUIRE(referring.constant());
  CHECK(referring.constant()->text().data() == constant.text().data());

  SECTION("copies and moves keep the text and the form") {
    AttributeKey copied_heap = heap_key;
    AttributeKey copied_reference = referring;
    CHECK(copied_heap == long_text);
    CHECK(copied_heap.data() != heap_key.data());
    CHECK(copied_reference.refers_to(constant));
    AttributeKey moved_heap = std::move(copied_heap);
    AttributeKey moved_inline = std::move(inline_key);
    CHECK(moved_heap == long_text);
    CHECK(moved_inline == "db.system");
    CHECK(copied_heap.empty());  // NOLINT(bugprone-use-after-move): moved-from keys are empty
    CHECK(inline_key.empty());   // NOLINT(bugprone-use-after-move)
    moved_inline = std::move(moved_heap);
    CHECK(moved_inline == long_text);
    referring = heap_key;
    CHECK(referring == long_text);
    CHECK_FALSE(referring.constant());
  }
  SECTION("text assigned to a key with a large enough heap buffer reuses it") {
    const char* buffer = heap_key.data();
    heap_key.assign("short");
    CHECK(heap_key == "short");
    CHECK(heap_key.data() == buffer);
    heap_key.assign(std::string_view(heap_key).substr(1));  // text from its own buffer
    CHECK(heap_key == "hort");
    heap_key.assign(long_text + long_text);
    CHECK(heap_key == long_text + long_text);
    heap_key.assign(constant);
    CHECK(heap_key.refers_to(constant));
    heap_key.assign(long_text);
    CHECK(heap_key == long_text);
  }
  SECTION("keys compare by text whatever their form") {
    CHECK(AttributeKey(constant) == AttributeKey(std::string("http.response.status_code")));
    CHECK(inline_key != heap_key);
    CHECK(AttributeKey("a") < AttributeKey("b"));
    CHECK(AttributeKey("b") > "a");
    CHECK(std::string_view(referring) == "http.response.status_code");
    CHECK(Attribute{constant, 200} == Attribute{"http.response.status_code", 200});
  }
}

TEST_CASE("a key held by reference stays so within limits") {
  constexpr ConstantKey constant{"exception.message"};
  Attributes attributes;
  CHECK(set_attribute_within_limits(attributes, Attribute{constant, "boom"}, 10,
                                    SpanLimits::unlimited));
  CHECK(set_attribute_within_limits(attributes, "exception.message", "bang", 10, 2));
  REQUIRE(attributes.size() == 1);
  CHECK(attributes[0].key.refers_to(constant));
  CHECK(attributes[0].value == AttributeValue("ba"));
}
