package dev.veil.gateway.pipeline;

/**
 * One processing step, as a James mailet: {@link #applies} is its matcher, {@link #service} does its one thing.
 * A step that throws sends the mail to the error handling in {@link MessageProcessor}, never onward.
 */
public interface MailStep {
    String name();

    boolean applies(Mail mail);

    void service(Mail mail) throws Exception;
}
