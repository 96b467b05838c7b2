// One dedicated thread that runs queued tasks in order. A llama_context is used by exactly one
// thread, so each session owns one of these.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace tandem {

class TaskThread {
 public:
  TaskThread();
  ~TaskThread();  // = stop()
  TaskThread(const TaskThread&) = delete;
  TaskThread& operator=(const TaskThread&) = delete;

  // Queues a task; returns false once the thread is stopping (the task is not run).
  bool post(std::function<void()> task);
  // Runs the tasks already queued, then joins. Idempotent; must not be called from the thread.
  void stop();
  bool isCurrentThread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  void run();
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tandem
