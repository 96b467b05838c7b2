// Runs every registered test; exit code 1 when any fails.
#include <cstdio>
#include <exception>

#include "test_runner.h"

int main() {
  int passed = 0, failed = 0;
  for (const auto& test : testing::registry()) {
    try {
      test.body();
      std::printf("ok - %s\n", test.name);
      ++passed;
    } catch (const testing::Failure& f) {
      std::printf("not ok - %s: %s\n", test.name, f.why.c_str());
      ++failed;
    } catch (const std::exception& e) {
      std::printf("not ok - %s: unexpected exception: %s\n", test.name, e.what());
      ++failed;
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
