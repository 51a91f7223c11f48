package org.radflow.scheduling;

import org.radflow.jobs.Job;

import org.radflow.api.ModuleException;
import org.radflow.api.StudyInput;

/** Builds the module's view of a job's input files (the platform decodes pixels). */
@FunctionalInterface
public interface InputFactory {

    StudyInput open(Job job) throws ModuleException;
}
