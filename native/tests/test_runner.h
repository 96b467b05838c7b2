// A tiny test runner: TEST(name) { ... } registers a test; CHECK/CHECK_EQ fail it with a reason.
// Output: one line per test (`ok - name` / `not ok - name: why`), then `N passed, N failed`.
#pragma once

#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace testing {

struct Failure {
  std::string why;
};

struct TestCase {
  const char* name;
  std::function<void()> body;
};

inline std::vector<TestCase>& registry() {
  static std::vector<TestCase> tests;
  return tests;
}

struct Registrar {
  Registrar(const char* name, std::function<void()> body) { registry().push_back({name, std::move(body)}); }
};

template <typename T>
std::string show(const T& v) {
  std::ostringstream s;
  s << v;
  return s.str();
}
inline std::string show(const std::string& v) { return "\"" + v + "\""; }

}  // namespace testing

#define TANDEM_CONCAT2(a, b) a##b
#define TANDEM_CONCAT(a, b) TANDEM_CONCAT2(a, b)
#define TEST(name)                                                                                       \
  static void TANDEM_CONCAT(test_fn_, __LINE__)();                                                       \
  static testing::Registrar TANDEM_CONCAT(test_reg_, __LINE__)(name, TANDEM_CONCAT(test_fn_, __LINE__)); \
  static void TANDEM_CONCAT(test_fn_, __LINE__)()

#define CHECK(cond)                                                                                                     \
  do {                                                                                                                  \
    if (!(cond)) throw testing::Failure{std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": CHECK(" #cond ")"}; \
  } while (0)

#define CHECK_EQ(actual, expected)                                                                                              \
  do {                                                                                                                          \
    const auto a_ = (actual);                                                                                                   \
    const auto e_ = (expected);                                                                                                 \
    if (!(a_ == e_))                                                                                                            \
      throw testing::Failure{std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": " #actual " == " + testing::show(a_) + \
                             ", expected " + testing::show(e_)};                                                                \
  } while (0)

#define CHECK_THROWS_CODE(expr, expectedCode)                                                                                  \
  do {                                                                                                                         \
    bool threw_ = false;                                                                                                       \
    try {                                                                                                                      \
      (void)(expr);                                                                                                            \
    } catch (const tandem::EngineError& e_) {                                                                                  \
      threw_ = true;                                                                                                           \
      if (e_.code() != (expectedCode))                                                                                         \
        throw testing::Failure{std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": wrong code " +                      \
                               tandem::errorCodeName(e_.code()) + " (" + e_.what() + ")"};                                     \
    }                                                                                                                          \
    if (!threw_) throw testing::Failure{std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": " #expr " did not throw"}; \
  } while (0)
