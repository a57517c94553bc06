#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

// One thread that runs an object's native work, one job at a time, for the object's whole life.
// glibc gives each thread its own malloc arena; libuv's pool hands successive jobs to any of its four
// threads, so per-call allocations (ggml's per-window training graphs) were freed into up to four
// arenas, each keeping its own resident copy. On one thread they reuse one, as in llama-finetune.
class IitHomeThread {
public:
    IitHomeThread() : thread_([this] { loop(); }) {}
    ~IitHomeThread() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        cv_.notify_one();
        thread_.join();
    }
    IitHomeThread(const IitHomeThread &)             = delete;
    IitHomeThread & operator=(const IitHomeThread &) = delete;

    // Runs `job` on the home thread and waits for it (called from a libuv worker, never the JS thread).
    void run(std::function<void()> job) {
        std::packaged_task<void()> task(std::move(job));
        std::future<void>          done = task.get_future();
        {
            std::lock_guard<std::mutex> lock(mutex_);
            queue_.push_back(std::move(task));
        }
        cv_.notify_one();
        done.get();
    }

private:
    void loop() {
        for (;;) {
            std::packaged_task<void()> task;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
                if (queue_.empty()) return;
                task = std::move(queue_.front());
                queue_.pop_front();
            }
            task();
        }
    }

    std::mutex                             mutex_;
    std::condition_variable                cv_;
    std::deque<std::packaged_task<void()>> queue_;
    bool                                   stop_ = false;
    std::thread                            thread_; // last: it starts after the members it uses exist
};
