#pragma once

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

// A fixed-capacity FIFO queue.
template <typename T>
class RingBuffer {
public:
    explicit RingBuffer(std::size_t capacity) : capacity_(capacity), slots_(capacity) {}

    bool push(const T& value) {
        if (full()) return false;
        slots_[(head_ + size_) % capacity_].emplace(value);
        ++size_;
        return true;
    }

    std::optional<T> pop() {
        if (empty()) return std::nullopt;
        std::optional<T> out = std::move(slots_[head_]);
        slots_[head_].reset();
        head_ = (head_ + 1) % capacity_;
        --size_;
        return out;
    }

    std::size_t size() const { return size_; }
    std::size_t capacity() const { return capacity_; }
    bool empty() const { return size_ == 0; }
    bool full() const { return size_ == capacity_; }

private:
    std::size_t capacity_;
    std::vector<std::optional<T>> slots_;
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};
