package bank;

/** A bank account with a balance in cents. */
public class Account {
    private long balance;

    public long balance() {
        return balance;
    }

    public void deposit(long cents) {
        if (cents <= 0) {
            throw new IllegalArgumentException("a deposit is a positive amount");
        }
        balance += cents;
    }

    public void withdraw(long cents) {
        if (cents <= 0) {
            throw new IllegalArgumentException("a withdrawal is a positive amount");
        }
        if (cents > balance) {
            throw new IllegalStateException("insufficient funds");
        }
        balance -= cents;
    }

    public void transferTo(Account other, long cents) {
        withdraw(cents);
        other.deposit(cents);
    }
}
